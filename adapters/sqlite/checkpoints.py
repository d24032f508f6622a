"""Projection checkpoints in the event store's own file, on a connection of their own.

Saved on a schedule rather than in the transaction of the events they follow (ADR 18): a
checkpoint that lags the log only means a few more events to fold at the next start. So
they are written with synchronous=NORMAL (a power cut may lose the newest one, never the
log's consistency) and never hold the event writer's transaction open.

A state may hold what people said, so this connection deletes with `secure_delete` on: a
replaced or deleted state is zeroed in its pages, and freed pages are zeroed too (the event
store's own connections never delete, and never touch these pages). `scrub` deletes them
all and then checkpoints the log's WAL with TRUNCATE, the WAL being where the earlier
versions of those pages still are (ADR 27).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiosqlite
import anyio

from lukas.adapters.checkpoint_codec import CheckpointCodec
from lukas.adapters.closing import ClosedOnExit
from lukas.application.ports.checkpoints import CheckpointError, CheckpointSpec, Saved, State

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 10_000
# A TRUNCATE checkpoint that finds the WAL in use is tried again this often, this far apart.
# Each try waits for the writer and readers at most _TRUNCATE_WAIT_MS: about 3.5 s in all.
_TRUNCATE_ATTEMPTS = 5
_TRUNCATE_WAIT_MS = 500
_TRUNCATE_PAUSE_SECONDS = 0.2


class SqliteCheckpoints(ClosedOnExit):
    def __init__(
        self, connection: aiosqlite.Connection, codec: CheckpointCodec, path: Path
    ) -> None:
        self._db = connection
        self._codec = codec
        self._path = path

    @classmethod
    async def open(cls, path: Path) -> SqliteCheckpoints:
        """Opens the file an event store has already opened (and so migrated)."""
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise CheckpointError(f"cannot open checkpoints in {path}: {error}") from error
        try:
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA synchronous = NORMAL")
            async with connection.execute("PRAGMA secure_delete = ON") as cursor:
                secure = await cursor.fetchone()
        except sqlite3.Error as error:
            await connection.close()
            raise CheckpointError(f"cannot open checkpoints in {path}: {error}") from error
        if secure is None or secure[0] != 1:
            await connection.close()
            raise CheckpointError(f"cannot open checkpoints in {path}: secure_delete refused")
        return cls(connection, CheckpointCodec(), path)

    async def close(self) -> None:
        await self._db.close()

    async def load(self, spec: CheckpointSpec[State]) -> Saved[State] | None:
        try:
            async with self._db.execute(
                "SELECT version, position, state FROM checkpoints WHERE name = ?", [spec.name]
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as error:
            # A file opened without its migrations (damaged, read-only) has no table.
            log.info("checkpoint %r not read: %s", spec.name, error)
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
            await self._db.execute(
                "INSERT INTO checkpoints (name, version, position, state) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET version = excluded.version,"
                " position = excluded.position, state = excluded.state",
                [spec.name, spec.version, saved.position, text],
            )
        except sqlite3.Error as error:
            raise CheckpointError(f"checkpoint {spec.name!r} not saved: {error}") from error

    async def scrub(self) -> None:
        try:
            await self._db.execute("DELETE FROM checkpoints")
        except sqlite3.Error as error:
            raise CheckpointError(f"checkpoints in {self._path} not deleted: {error}") from error
        await self._truncate_wal()

    async def _truncate_wal(self) -> None:
        """Copies the WAL into the file and empties it. Each try waits a moment for the
        writer and for readers still on older pages: this process's other connections hold
        only short read transactions, but another process's reader can keep the WAL in use
        for longer, and then the caller hears so."""
        try:
            await self._db.execute(f"PRAGMA busy_timeout = {_TRUNCATE_WAIT_MS}")
            try:
                for attempt in range(1, _TRUNCATE_ATTEMPTS + 1):
                    async with self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                        row = await cursor.fetchone()
                    # (busy, frames in the WAL, frames copied): busy 0 is a WAL truncated to
                    # 0 bytes, or a file not in WAL mode.
                    if row is not None and row[0] == 0:
                        return
                    log.info("the WAL of %s is in use (try %d)", self._path, attempt)
                    await anyio.sleep(_TRUNCATE_PAUSE_SECONDS)
            finally:
                await self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        except sqlite3.Error as error:
            raise CheckpointError(
                f"checkpoints in {self._path} deleted, but its WAL not emptied: {error}"
            ) from error
        raise CheckpointError(
            f"checkpoints in {self._path} deleted, but its WAL could not be emptied: another "
            "connection kept reading from it; the old states stay there until it can be"
        )
