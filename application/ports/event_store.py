"""The event store port: an append-only log of events in streams, with a global order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from lukas.domain.events import DomainEvent

# Expected version of a stream that has no events yet.
NO_STREAM = 0


@attrs.frozen
class EventMetadata:
    correlation_id: str
    causation_id: str | None = None
    # The running Lukas process that recorded the event, so a restart can tell work left
    # by a dead process from work a live one is still doing.
    instance_id: str | None = None


@attrs.frozen
class NewEvent:
    """An event about to be appended. Its id makes the append idempotent."""

    event_id: str
    event: DomainEvent
    metadata: EventMetadata


@attrs.frozen
class RecordedEvent:
    position: int
    stream_id: str
    version: int
    event_id: str
    event: DomainEvent
    metadata: EventMetadata
    recorded_at: datetime


@attrs.frozen
class AppendResult:
    # Version of the stream after the append (unchanged when nothing was new).
    stream_version: int
    # Events actually written; 0 when every event id was already stored.
    appended: int

    @property
    def was_duplicate(self) -> bool:
        return self.appended == 0


class EventStoreError(Exception):
    """Base of every error the event store port raises; no driver exception crosses it."""


class ConcurrencyError(EventStoreError):
    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not the expected {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class NotAnEventStoreError(EventStoreError):
    """The file is not this event store (garbage, another database, a newer schema)."""


class UnknownEventTypeError(EventStoreError):
    """The log holds an event type or schema version this code cannot read."""


class EventStore(Protocol):
    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None,
    ) -> AppendResult:
        """Append atomically. `expected_version` None skips the concurrency check.

        Events whose id is already stored are skipped; if none is new, nothing is written
        and no version is checked (a duplicate delivery is not a conflict).
        """
        ...

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]: ...

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        """The last `count` events of a stream, oldest first."""
        ...

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events with from_position < position <= until_position, in global order."""
        ...

    def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        """Every event after `from_position`, then each new one as it is appended. Never ends."""
        ...
