"""The PostgreSQL log as stored, for `lukas migrate`: rows read and written as they are,
with their own positions. Writes take the append lock, as appends do, and notify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.postgres.connection import connect, describe, translate
from lukas.adapters.postgres.schema import APPEND_LOCK, CHANNEL
from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import StoredEvent

_COLUMNS = (
    "position, stream_id, version, event_id, type, schema_version,"
    " data::text, metadata::text, recorded_at"
)


class PostgresStoredLog(ClosedOnExit):
    def __init__(self, connection: psycopg.AsyncConnection[Any], url: str) -> None:
        self._db = connection
        self._url = url

    @classmethod
    async def open(cls, url: str) -> PostgresStoredLog:
        """On a database whose schema PostgresEventStore has made."""
        return cls(await connect(url, "opening the event log"), url)

    @property
    def where(self) -> str:
        return describe(self._url)

    async def close(self) -> None:
        await self._db.close()

    async def head(self) -> int:
        try:
            return await self._head()
        except psycopg.Error as error:
            raise translate(error, self._url, "reading the event log") from error

    async def _head(self) -> int:
        cursor = await self._db.execute("SELECT COALESCE(MAX(position), 0) FROM lukas.events")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def rows(self, after: int, limit: int) -> list[StoredEvent]:
        try:
            cursor = await self._db.execute(
                f"SELECT {_COLUMNS} FROM lukas.events WHERE position > %s"  # noqa: S608
                " ORDER BY position LIMIT %s",
                [after, limit],
            )
            rows = await cursor.fetchall()
        except psycopg.Error as error:
            raise translate(error, self._url, "reading the event log") from error
        return [StoredEvent(*row) for row in rows]

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
                e.recorded_at,
            )
            for e in events
        ]
        try:
            async with self._db.transaction():
                await self._db.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])
                head = await self._head()
                if head != events[0].position - 1:
                    raise EventStoreError(
                        f"{self.where} changed while copying (its last position is {head}, "
                        f"not {events[0].position - 1}): is something else writing to it?"
                    )
                async with self._db.cursor() as cursor:
                    await cursor.executemany(
                        "INSERT INTO lukas.events (position, event_id, stream_id, version,"
                        " type, schema_version, data, metadata, recorded_at)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s::json, %s)",
                        rows,
                    )
                await self._db.execute(
                    "SELECT pg_notify(%s, %s)", [CHANNEL, str(events[-1].position)]
                )
        except psycopg.Error as error:
            raise translate(error, self._url, "writing the event log") from error
