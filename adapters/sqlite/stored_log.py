"""The SQLite log as stored, for `lukas migrate`: rows read and written as they are, with
their own positions. Opened on a file that SqliteEventStore has opened (checked, migrated)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from lukas.adapters.closing import ClosedOnExit
from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import StoredEvent

_COLUMNS = (
    "position, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at"
)
_BUSY_TIMEOUT_MS = 10_000


class SqliteStoredLog(ClosedOnExit):
    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self._path = path

    @classmethod
    async def open(cls, path: Path) -> SqliteStoredLog:
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as error:
            raise EventStoreError(f"cannot open {path}: {error}") from error
        return cls(connection, path)

    @property
    def where(self) -> str:
        return str(self._path)

    async def close(self) -> None:
        await self._db.close()

    async def head(self) -> int:
        try:
            async with self._db.execute("SELECT COALESCE(MAX(position), 0) FROM events") as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as error:
            raise EventStoreError(f"reading {self._path} failed: {error}") from error
        return int(row[0]) if row else 0

    async def rows(self, after: int, limit: int) -> list[StoredEvent]:
        try:
            rows = await self._db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM events WHERE position > ?"  # noqa: S608
                " ORDER BY position LIMIT ?",
                [after, limit],
            )
        except sqlite3.Error as error:
            raise EventStoreError(f"reading {self._path} failed: {error}") from error
        return [
            StoredEvent(
                position=row[0],
                stream_id=row[1],
                version=row[2],
                event_id=row[3],
                type=row[4],
                schema_version=row[5],
                data=row[6],
                metadata=row[7],
                recorded_at=dt.datetime.fromisoformat(row[8]),
            )
            for row in rows
        ]

    async def write(self, events: Sequence[StoredEvent]) -> None:
        if not events:
            return
        rows = [
            (
                e.position,
                e.event_id,
                e.stream_id,
                e.version,
                e.type,
                e.schema_version,
                e.data,
                e.metadata,
                e.recorded_at.isoformat(),
            )
            for e in events
        ]
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._check_head(events[0].position - 1)
                await self._db.executemany(
                    "INSERT INTO events (position, event_id, stream_id, version, type,"
                    " schema_version, data, metadata, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                await self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise EventStoreError(f"writing to {self._path} failed: {error}") from error

    async def _check_head(self, expected: int) -> None:
        head = await self.head()
        if head != expected:
            raise EventStoreError(
                f"{self._path} changed while copying (its last position is {head}, "
                f"not {expected}): is something else writing to it?"
            )
