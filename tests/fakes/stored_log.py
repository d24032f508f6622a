"""A stored log in a list, for the copy's own rules; the real ones are tested end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import StoredEvent

AT = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def stored(position: int, stream: str = "s", text: str = "x") -> StoredEvent:
    return StoredEvent(
        position=position,
        stream_id=stream,
        version=position,
        event_id=f"e-{stream}-{position}",
        type="T",
        schema_version=1,
        data=f'{{"text": "{text}{position}"}}',
        metadata='{"correlation_id": "c"}',
        recorded_at=AT + dt.timedelta(seconds=position),
    )


class ListLog:
    def __init__(self, events: Sequence[StoredEvent] = (), *, fail_after: int | None = None):
        self.events = list(events)
        self.writes = 0
        # Writes after this many fail, as a lost connection would.
        self._fail_after = fail_after

    @property
    def where(self) -> str:
        return "the list"

    async def head(self) -> int:
        return self.events[-1].position if self.events else 0

    async def rows(self, after: int, limit: int) -> list[StoredEvent]:
        return [e for e in self.events if e.position > after][:limit]

    async def write(self, events: Sequence[StoredEvent]) -> None:
        if self._fail_after is not None and self.writes >= self._fail_after:
            raise EventStoreError("connection lost")
        if events and events[0].position != await self.head() + 1:
            raise EventStoreError("not at the head")
        self.writes += 1
        self.events.extend(events)
