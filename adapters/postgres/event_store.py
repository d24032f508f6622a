"""The event log in PostgreSQL, through psycopg 3's async connections and a pool (ADR 24).

An append is one call of the `lukas.append` function, so one round trip and one
transaction: it takes a transaction-level advisory lock, skips stored ids, checks the
stream's version and inserts at the next positions, then notifies subscribers; the lock
is released at the commit, so positions become visible in order and without gaps. A lost
connection is tried again on a new one: appends are idempotent by event id, so a retried
append whose first try did commit is a harmless duplicate. Every psycopg error is
translated at this boundary; none crosses the port.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.postgres.connection import (
    CONNECT_TIMEOUT_SECONDS,
    CONNECTION_OPTIONS,
    connect,
    describe,
    prepare,
    translate,
)
from lukas.adapters.postgres.schema import CHANNEL
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    AppendResult,
    ConcurrencyError,
    EventStoreError,
    NewEvent,
    RecordedEvent,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

COLUMNS = (
    "position, stream_id, version, event_id, type, schema_version,"
    " data::text, metadata::text, recorded_at"
)
_SUBSCRIBE_BATCH = 500
# A lost connection is tried again after each of these pauses, then reported.
_RETRY_PAUSES = (0.2, 1.0, 3.0)
# Reads and appends run at once on up to this many connections; appends still take turns
# on the advisory lock.
_POOL_SIZE = 4


class PostgresEventStore(ClosedOnExit):
    def __init__(self, pool: AsyncConnectionPool[Any], url: str, clock: Clock, codec: EventCodec):
        self._pool = pool
        self._url = url
        self._clock = clock
        self._codec = codec

    @classmethod
    async def open(
        cls, url: str, clock: Clock, *, create: bool = True, codec: EventCodec | None = None
    ) -> PostgresEventStore:
        """Connects, creates or migrates the schema when `create` (else requires it), and
        opens a small pool. Errors (no server, no database, no rights) are one line."""
        async with await connect(url, "opening the event store") as connection:
            await prepare(connection, url, create=create)
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=_POOL_SIZE,
            kwargs=CONNECTION_OPTIONS,
            open=False,
            timeout=CONNECT_TIMEOUT_SECONDS,
            name="lukas-events",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except (PoolTimeout, psycopg.Error) as error:
            await pool.close()
            raise EventStoreError(f"cannot open connections to {describe(url)}") from error
        return cls(pool, url, clock, codec or EventCodec())

    @property
    def where(self) -> str:
        return describe(self._url)

    async def verify(self) -> None:
        """Nothing to do: PostgreSQL checks its own pages (data checksums, WAL)."""

    async def close(self) -> None:
        await self._pool.close()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        ids = [e.event_id for e in events]
        if len(set(ids)) != len(ids):
            raise ValueError("the same event id twice in one batch")
        if not events:
            return AppendResult(await self._stream_version(stream_id), 0)
        encoded = [
            (*self._codec.encode(e.event), self._codec.encode_metadata(e.metadata)) for e in events
        ]
        parameters = [
            stream_id,
            expected_version,
            ids,
            [e[0] for e in encoded],
            [e[1] for e in encoded],
            [e[2] for e in encoded],
            [e[3] for e in encoded],
            self._clock.now(),
        ]

        async def call(connection: psycopg.AsyncConnection[Any]) -> tuple[int, int]:
            cursor = await connection.execute(
                "SELECT stream_version, appended FROM lukas.append(%s, %s, %s, %s, %s, %s, %s, %s)",
                parameters,
            )
            row = await cursor.fetchone()
            assert row is not None  # the function returns one row
            return int(row[0]), int(row[1])

        version, appended = await self._run(f"append to {stream_id!r}", call)
        if appended < 0:
            raise ConcurrencyError(stream_id, expected_version or 0, version)
        return AppendResult(stream_version=version, appended=appended)

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self._select(
            f"SELECT {COLUMNS} FROM lukas.events WHERE stream_id = %s AND version >= %s"  # noqa: S608
            " ORDER BY version",
            [stream_id, from_version],
        )

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        if count <= 0:
            return []
        newest_first = await self._select(
            f"SELECT {COLUMNS} FROM lukas.events WHERE stream_id = %s"  # noqa: S608
            " ORDER BY version DESC LIMIT %s",
            [stream_id, count],
        )
        return newest_first[::-1]

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self._select(
            f"SELECT {COLUMNS} FROM lukas.events WHERE position > %s AND position <= %s"  # noqa: S608
            " ORDER BY position LIMIT %s",
            [from_position, until_position if until_position is not None else 2**63 - 1, limit],
        )

    async def head(self) -> int:
        """The last position in the log (0 when empty)."""

        async def call(connection: psycopg.AsyncConnection[Any]) -> int:
            cursor = await connection.execute("SELECT COALESCE(MAX(position), 0) FROM lukas.events")
            row = await cursor.fetchone()
            return int(row[0]) if row else 0

        return await self._run("reading the event log", call)

    async def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        """Listens before each read, so an append committed during the read still wakes it;
        a lost listening connection is opened again and the read goes on from where it was."""
        position = from_position
        while True:
            try:
                async with await connect(self._url, "following the event log") as listener:
                    await listener.execute(f"LISTEN {CHANNEL}")
                    async for recorded in self._follow(listener, position):
                        yield recorded
                        position = recorded.position
            except (EventStoreError, psycopg.OperationalError) as error:
                log.warning("following the event log in %s: %s; trying again", self.where, error)
                await anyio.sleep(_RETRY_PAUSES[0])

    async def _follow(
        self, listener: psycopg.AsyncConnection[Any], position: int
    ) -> AsyncIterator[RecordedEvent]:
        while True:
            batch = await self.read_all(position, limit=_SUBSCRIBE_BATCH)
            for recorded in batch:
                yield recorded
                position = recorded.position
            if len(batch) < _SUBSCRIBE_BATCH:
                # Notifications that came during the read are queued: this returns at once.
                async for _ in listener.notifies(stop_after=1):
                    pass

    async def _stream_version(self, stream_id: str) -> int:
        async def call(connection: psycopg.AsyncConnection[Any]) -> int:
            cursor = await connection.execute(
                "SELECT COALESCE(MAX(version), 0) FROM lukas.events WHERE stream_id = %s",
                [stream_id],
            )
            row = await cursor.fetchone()
            return int(row[0]) if row else 0

        return await self._run(f"reading stream {stream_id!r}", call)

    async def _select(self, query: str, parameters: list[Any]) -> list[RecordedEvent]:
        async def call(connection: psycopg.AsyncConnection[Any]) -> list[Any]:
            cursor = await connection.execute(query, parameters)
            return await cursor.fetchall()

        rows = await self._run("reading the event log", call)
        decode = self._codec.decode_row
        return [decode(row) for row in rows]

    async def _run(
        self, doing: str, call: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]
    ) -> T:
        """Runs `call` on a pooled connection; a lost connection is tried again on another."""
        for pause in (*_RETRY_PAUSES, None):
            try:
                async with self._pool.connection() as connection:
                    return await call(connection)
            except (psycopg.OperationalError, PoolTimeout) as error:
                if pause is None:
                    if isinstance(error, psycopg.Error):
                        raise translate(error, self._url, doing) from error
                    raise EventStoreError(
                        f"{doing} in {self.where} failed: no connection to PostgreSQL"
                    ) from error
                log.warning("%s in %s: connection lost; trying again", doing, self.where)
                await anyio.sleep(pause)
            except psycopg.Error as error:
                raise translate(error, self._url, doing) from error
        raise AssertionError("unreachable")
