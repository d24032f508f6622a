"""The log as stored, for copying it between stores (`lukas migrate`): each event with its
data encoded, as written or as a view of the source gives it (its personal words sealed
with the target's keys), so what the copy reads back can be compared byte for byte."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs


@attrs.frozen
class StoredEvent:
    position: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: str  # JSON, as the codec wrote it
    metadata: str  # JSON
    recorded_at: datetime


class ReadableLog(Protocol):
    """A log to copy from: the stored log, or a view of one (re-sealed for another store)."""

    @property
    def where(self) -> str:
        """The store's name for messages (never a password)."""
        ...

    async def head(self) -> int:
        """The last position (0 when empty)."""
        ...

    async def rows(self, after: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events after position `after`, in order."""
        ...


class StoredLog(ReadableLog, Protocol):
    async def write(self, events: Sequence[StoredEvent]) -> None:
        """Appends events at their own positions in one transaction; the first must follow
        the head (EventStoreError otherwise: someone else is writing)."""
        ...
