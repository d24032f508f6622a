"""Projection checkpoints in the event store's PostgreSQL database, on a connection of their
own.

As with SQLite (ADR 18), a checkpoint that lags the log costs only a few more events to
fold, so they are written with synchronous_commit off: no wait for the WAL flush, and a
crash may lose the newest one, never the log's consistency.

`scrub` deletes them all, with synchronous_commit on, and then rewrites the table with
VACUUM FULL (adapters/postgres/vacuum.py), so that no old state stays in its files; the
limits of that (WAL segments, backups) are those of the key store's, in data_keys.py.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import psycopg

from lukas.adapters.checkpoint_codec import CheckpointCodec
from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.postgres.connection import connect, describe
from lukas.adapters.postgres.vacuum import NotRewrittenError, rewrite
from lukas.application.ports.checkpoints import CheckpointError, CheckpointSpec, Saved, State
from lukas.application.ports.event_store import EventStoreError

log = logging.getLogger(__name__)


class PostgresCheckpoints(ClosedOnExit):
    def __init__(self, connection: psycopg.AsyncConnection[Any], url: str) -> None:
        self._db = connection
        self._url = url
        self._codec = CheckpointCodec()
        # One connection serves one statement at a time.
        self._lock = anyio.Lock()

    @classmethod
    async def open(cls, url: str) -> PostgresCheckpoints:
        """Opens the database an event store has already opened (and so migrated)."""
        return cls(await _connect(url), url)

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        """The connection, opened again if it was lost (a restarted server, a network cut)."""
        if self._db.closed or self._db.broken:
            self._db = await _connect(self._url)
        return self._db

    async def close(self) -> None:
        await self._db.close()

    async def load(self, spec: CheckpointSpec[State]) -> Saved[State] | None:
        try:
            async with self._lock:
                connection = await self._connection()
                cursor = await connection.execute(
                    "SELECT version, position, state FROM lukas.checkpoints WHERE name = %s",
                    [spec.name],
                )
                row = await cursor.fetchone()
        except (psycopg.Error, CheckpointError) as error:
            # A lost connection or a database without the table: fold from the start.
            log.info("checkpoint %r not read: %s", spec.name, type(error).__name__)
            return None
        if row is None or row[0] != spec.version:
            return None
        try:
            return Saved(int(row[1]), self._codec.decode(spec, str(row[2])))
        except ValueError as error:
            log.warning("%s; folding from the start instead", error)
            return None

    async def save(self, spec: CheckpointSpec[State], saved: Saved[State]) -> None:
        # Encoded before the statement, so the caller may fold on into the state at once.
        text = self._codec.encode(spec, saved.state)
        try:
            async with self._lock:
                connection = await self._connection()
                await connection.execute(
                    "INSERT INTO lukas.checkpoints (name, version, position, state)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET"
                    " version = excluded.version, position = excluded.position,"
                    " state = excluded.state",
                    [spec.name, spec.version, saved.position, text],
                )
        except psycopg.Error as error:
            raise CheckpointError(
                f"checkpoint {spec.name!r} not saved in {describe(self._url)}: "
                f"{type(error).__name__}"
            ) from error

    async def scrub(self) -> None:
        try:
            async with self._lock:
                connection = await self._connection()
                # Both commits durable at return: a crash must not bring back the rows, or
                # the old files the rewrite replaced.
                await connection.execute("SET synchronous_commit = on")
                try:
                    await connection.execute("DELETE FROM lukas.checkpoints")
                    await rewrite(connection, "lukas", "checkpoints")
                finally:
                    if not connection.broken:
                        await connection.execute("SET synchronous_commit = off")
        except psycopg.Error as error:
            raise CheckpointError(
                f"checkpoints in {describe(self._url)} not scrubbed: {type(error).__name__}"
            ) from error
        except NotRewrittenError as error:
            raise CheckpointError(f"in {describe(self._url)}: {error}") from error


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    try:
        connection = await connect(url, "opening checkpoints")
        await connection.execute("SET synchronous_commit = off")
    except (EventStoreError, psycopg.Error) as error:
        raise CheckpointError(f"cannot open checkpoints in {describe(url)}: {error}") from error
    return connection
