"""Projection checkpoints in the event store's own file, on a connection of their own.

Saved on a schedule rather than in the transaction of the events they follow (ADR 18): a
checkpoint that lags the log only means a few more events to fold at the next start. So
they are written with synchronous=NORMAL (a power cut may lose the newest one, never the
log's consistency) and never hold the event writer's transaction open.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from lukas.adapters.checkpoint_codec import CheckpointCodec
from lukas.application.ports.checkpoints import CheckpointError, CheckpointSpec, Saved, State

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 10_000


class SqliteCheckpoints:
    def __init__(self, connection: aiosqlite.Connection, codec: CheckpointCodec) -> None:
        self._db = connection
        self._codec = codec

    @classmethod
    async def open(cls, path: Path) -> SqliteCheckpoints:
        """Opens the file an event store has already opened (and so migrated)."""
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise CheckpointError(f"cannot open checkpoints in {path}: {error}") from error
        return cls(connection, CheckpointCodec())

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

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
