"""An event store whose personal fields are sealed with their owner's data key (ADR 27).

Wraps any event store: events are sealed on the way in and opened on the way out, so the
log holds ciphertext and every reader (replies, recovery, replay, the web page) sees plain
text, or FORGOTTEN where the key is gone. Keys are kept in memory once fetched; the key
store's epoch is looked at again at most once a second, so keys deleted by another process
stop opening anything here within that second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import attrs

from lukas.adapters.sealing.cipher import SealBrokenError
from lukas.adapters.sealing.key_ring import KeyRing
from lukas.application.ports.clock import Clock
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.event_store import (
    AppendResult,
    EventStore,
    NewEvent,
    RecordedEvent,
    UnknownEventTypeError,
)
from lukas.domain.personal_data import owner_of
from lukas.domain.retention import period_of

# How long a process trusts the keys it holds before asking whether some were deleted.
RECHECK_SECONDS = 1.0


class BrokenSealError(UnknownEventTypeError):
    """A sealed field of a stored event does not open with its own key."""


class SealedEventStore:
    def __init__(
        self, inner: EventStore, keys: DataKeys, clock: Clock, *, plain_before: bool = False
    ) -> None:
        self._inner = inner
        self._keys = keys
        self._clock = clock
        # Whether the log holds events from before sealing began (ADR 27: rewrite it).
        self.plain_before = plain_before
        self._ring = KeyRing(keys)
        self._epoch: int | None = None
        self._checked_at = float("-inf")
        self._reactions: list[Callable[[], None]] = []

    @classmethod
    async def open(cls, inner: EventStore, keys: DataKeys, clock: Clock) -> SealedEventStore:
        empty = not await inner.read_all(0, limit=1)
        return cls(inner, keys, clock, plain_before=not await keys.first_opened_empty(empty))

    @property
    def inner(self) -> EventStore:
        return self._inner

    def when_keys_deleted(self, react: Callable[[], None]) -> None:
        """`react` is called when this store finds that another process deleted keys, so
        what this process holds in memory (folded states, conversations) is let go of."""
        self._reactions.append(react)

    def drop_held(self) -> None:
        """Lets go of every key held in memory: after keys were deleted, nothing they
        opened may be opened again from memory."""
        self._ring.drop()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        await self._recheck()
        sealed = [await self._sealed(new) for new in events]
        return await self._inner.append(stream_id, sealed, expected_version)

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self._opened(await self._inner.read_stream(stream_id, from_version))

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        return await self._opened(await self._inner.read_stream_tail(stream_id, count))

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self._opened(await self._inner.read_all(from_position, until_position, limit))

    async def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        async for recorded in self._inner.subscribe(from_position):
            (opened,) = await self._opened([recorded])
            yield opened

    async def _sealed(self, new: NewEvent) -> NewEvent:
        owner = owner_of(new.event)
        if owner is None:
            return new
        period = period_of(self._clock.now())
        return attrs.evolve(
            new, event=await self._ring.seal(new.event_id, new.event, owner, period)
        )

    async def _opened(self, records: list[RecordedEvent]) -> list[RecordedEvent]:
        # Before anything returns, even nothing: a caller about to save what it folded
        # learns here that keys were deleted.
        await self._recheck()
        if not records:
            return records
        # One pass once the keys are held, as they are after the first batch.
        missing: set[str] = set()
        opened = [self._open(recorded, missing) for recorded in records]
        if not missing:
            return opened
        await self._ring.fetch_ids(missing)
        return [self._open(recorded, None) for recorded in records]

    def _open(self, recorded: RecordedEvent, missing: set[str] | None) -> RecordedEvent:
        if owner_of(recorded.event) is None:
            return recorded
        try:
            event = self._ring.open(recorded.event_id, recorded.event, missing)
        except SealBrokenError as error:
            raise BrokenSealError(
                f"event {recorded.event_id} at position {recorded.position}: a sealed field "
                "does not open with its key (the log or the key store was altered)"
            ) from error
        if event is recorded.event:
            return recorded
        # Built directly rather than by attrs.evolve: this runs for every event read.
        return RecordedEvent(
            position=recorded.position,
            stream_id=recorded.stream_id,
            version=recorded.version,
            event_id=recorded.event_id,
            event=event,
            metadata=recorded.metadata,
            recorded_at=recorded.recorded_at,
        )

    async def _recheck(self) -> None:
        now = self._clock.monotonic()
        if now - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = now
        epoch = await self._keys.epoch()
        changed = self._epoch is not None and epoch != self._epoch
        self._epoch = epoch
        if changed:
            self.drop_held()
            for react in self._reactions:
                react()
