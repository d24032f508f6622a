"""A store where a rival's decision lands between a reader's read and its append: the race
that the expected version turns into a conflict and a second look."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from lukas.application.ports.event_store import (
    AppendResult,
    EventStore,
    NewEvent,
    RecordedEvent,
)


class RivalFirst:
    def __init__(self, store: EventStore, rival: Callable[[EventStore], Awaitable[object]]) -> None:
        self._store = store
        self._rival: Callable[[EventStore], Awaitable[object]] | None = rival

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        rival, self._rival = self._rival, None
        if rival is not None:
            await rival(self._store)
        return await self._store.append(stream_id, events, expected_version)

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self._store.read_stream(stream_id, from_version)

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        return await self._store.read_stream_tail(stream_id, count)

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self._store.read_all(from_position, until_position, limit)

    def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        return self._store.subscribe(from_position)
