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
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lukas.adapters.sealing.cipher import (
    FORGOTTEN_SEAL,
    SealBrokenError,
    binding,
    key_id_of,
    seal,
    unseal,
)
from lukas.application.ports.clock import Clock
from lukas.application.ports.data_keys import DataKey, DataKeys
from lukas.application.ports.event_store import (
    AppendResult,
    EventStore,
    NewEvent,
    RecordedEvent,
    UnknownEventTypeError,
)
from lukas.domain.events import DomainEvent
from lukas.domain.personal_data import FORGOTTEN, is_forgotten, owner_of, with_personal
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
        self._ciphers: dict[str, AESGCM] = {}
        self._gone: set[str] = set()  # key ids looked for and not found: never coming back
        self._sealing: dict[tuple[str, str], tuple[DataKey, AESGCM]] = {}
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
        self._ciphers.clear()
        self._sealing.clear()
        self._gone.clear()

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
        held = self._sealing.get((owner, period))
        if held is None:
            key = await self._keys.key_for(owner, period)
            held = (key, self._cipher(key.key_id, key.secret))
            self._sealing[(owner, period)] = held
        key, cipher = held
        return attrs.evolve(new, event=sealed_event(new.event_id, new.event, key, cipher))

    async def _opened(self, records: list[RecordedEvent]) -> list[RecordedEvent]:
        # Before anything returns, even nothing: a caller about to save what it folded
        # learns here that keys were deleted.
        await self._recheck()
        if not records:
            return records
        missing: set[str] = set()
        opened = [self._open(recorded, missing) for recorded in records]
        if not missing:
            return opened
        found = await self._keys.find(missing)
        for key_id in missing:
            key = found.get(key_id)
            if key is None:
                self._gone.add(key_id)
            else:
                self._cipher(key_id, key.secret)
        return [self._open(recorded, None) for recorded in records]

    def _open(self, recorded: RecordedEvent, missing: set[str] | None) -> RecordedEvent:
        """The event with its sealed fields opened; with `missing`, the key ids not held
        are collected there instead (the caller fetches them and opens again)."""
        if owner_of(recorded.event) is None:
            return recorded
        event_id = recorded.event_id

        def opened(path: str, value: str) -> str:
            key_id = key_id_of(value)
            if key_id is None:
                return value  # written in the clear, before sealing began
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                if key_id in self._gone:
                    return FORGOTTEN
                if missing is not None:
                    missing.add(key_id)
                    return value
                return FORGOTTEN
            try:
                return unseal(cipher, value, binding(event_id, path))
            except SealBrokenError as error:
                raise BrokenSealError(
                    f"event {event_id} at position {recorded.position}: its {path} does not "
                    "open with its key (the log or the key store was altered)"
                ) from error

        event: DomainEvent = with_personal(recorded.event, opened)
        return attrs.evolve(recorded, event=event)

    def _cipher(self, key_id: str, secret: bytes) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(secret)
        return cipher

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


def sealed_event(event_id: str, event: DomainEvent, key: DataKey, cipher: AESGCM) -> DomainEvent:
    """`event` with its personal fields sealed with `key` (its owner's, for the period)."""

    def sealed(path: str, value: str) -> str:
        if is_forgotten(value):
            return FORGOTTEN_SEAL
        return seal(cipher, key.secret, key.key_id, value, binding(event_id, path))

    return with_personal(event, sealed)
