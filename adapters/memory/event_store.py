"""An event store in memory: the same contract as SQLite, for use-case tests and throwaway runs.

Events go through the same codec as in SQLite, so a use-case test fails on an event that
could not be stored for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import anyio
import attrs

from lukas.adapters.event_codec import EventCodec
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    AppendResult,
    ConcurrencyError,
    NewEvent,
    RecordedEvent,
)


@attrs.frozen
class _Row:
    position: int
    stream_id: str
    version: int
    event_id: str
    event_type: str
    schema_version: int
    data: str
    metadata: str
    recorded_at: str


class InMemoryEventStore:
    def __init__(self, clock: Clock, codec: EventCodec | None = None) -> None:
        self._clock = clock
        self._codec = codec or EventCodec()
        self._rows: list[_Row] = []
        self._ids: set[str] = set()
        self._versions: dict[str, int] = {}
        self._streams: dict[str, list[int]] = {}
        self._appended = anyio.Event()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        current = self._versions.get(stream_id, 0)
        new = [e for e in events if e.event_id not in self._ids]
        if len({e.event_id for e in new}) != len(new):
            raise ValueError("the same event id twice in one batch")
        if not new:
            return AppendResult(stream_version=current, appended=0)
        if expected_version is not None and expected_version != current:
            raise ConcurrencyError(stream_id, expected_version, current)
        # Encode everything before changing anything, so a bad event leaves no trace.
        recorded_at = self._clock.now().isoformat()
        encoded = [(e, *self._codec.encode(e.event)) for e in new]
        for offset, (new_event, event_type, schema_version, data) in enumerate(encoded, 1):
            row = _Row(
                position=len(self._rows) + 1,
                stream_id=stream_id,
                version=current + offset,
                event_id=new_event.event_id,
                event_type=event_type,
                schema_version=schema_version,
                data=data,
                metadata=self._codec.encode_metadata(new_event.metadata),
                recorded_at=recorded_at,
            )
            self._rows.append(row)
            self._ids.add(row.event_id)
            self._streams.setdefault(stream_id, []).append(row.position)
        self._versions[stream_id] = current + len(new)
        self._appended.set()
        self._appended = anyio.Event()
        return AppendResult(stream_version=current + len(new), appended=len(new))

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        positions = self._streams.get(stream_id, [])[max(from_version, 1) - 1 :]
        return [self._decode(self._rows[p - 1]) for p in positions]

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        if count <= 0:
            return []
        positions = self._streams.get(stream_id, [])[-count:]
        return [self._decode(self._rows[p - 1]) for p in positions]

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        end = len(self._rows) if until_position is None else min(until_position, len(self._rows))
        rows = self._rows[max(from_position, 0) : end]
        if limit is not None:
            rows = rows[:limit]
        return [self._decode(row) for row in rows]

    async def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        position = from_position
        while True:
            appended = self._appended
            batch = await self.read_all(position, limit=500)
            for recorded in batch:
                yield recorded
                position = recorded.position
            if not batch:
                await appended.wait()

    def _decode(self, row: _Row) -> RecordedEvent:
        return RecordedEvent(
            position=row.position,
            stream_id=row.stream_id,
            version=row.version,
            event_id=row.event_id,
            event=self._codec.decode(row.event_type, row.schema_version, row.data),
            metadata=self._codec.decode_metadata(row.metadata),
            recorded_at=datetime.fromisoformat(row.recorded_at),
        )
