"""The data keys a process holds, for sealing and opening personal words (ADR 27).

Fetched from the key store once and kept: a key to seal with by (person, period), a key to
open with by its id, and the ids found gone (deleted keys never come back: ids are random
and never reused). `drop` lets go of all of it when keys were deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lukas.adapters.sealing.cipher import (
    FORGOTTEN_SEAL,
    binding,
    key_id_of,
    seal,
    split_sealed,
    unseal,
)
from lukas.application.ports.data_keys import DataKey, DataKeys
from lukas.domain.events import DomainEvent
from lukas.domain.personal_data import FORGOTTEN, is_forgotten, with_personal


class KeyRing:
    def __init__(self, keys: DataKeys) -> None:
        self._keys = keys
        self._opening: dict[str, AESGCM] = {}
        self._gone: set[str] = set()
        self._sealing: dict[tuple[str, str], tuple[DataKey, AESGCM]] = {}

    def drop(self) -> None:
        self._opening.clear()
        self._gone.clear()
        self._sealing.clear()

    async def seal(self, event_id: str, event: DomainEvent, owner: str, period: str) -> DomainEvent:
        """`event` with its personal fields sealed with `owner`'s key for `period`."""
        held = self._sealing.get((owner, period))
        if held is None:
            key = await self._keys.key_for(owner, period)
            held = self._sealing[(owner, period)] = (key, AESGCM(key.secret))
        return sealed_event(event_id, event, *held)

    async def fetch(self, events: Iterable[DomainEvent]) -> None:
        """Fetches, in one call, the keys `events` need that are not held yet."""
        await self.fetch_ids(
            {
                key_id
                for event in events
                for value in personal_values(event)
                if (key_id := key_id_of(value)) is not None
            }
        )

    async def fetch_ids(self, key_ids: set[str]) -> None:
        wanted = {k for k in key_ids if k not in self._opening and k not in self._gone}
        if not wanted:
            return
        found = await self._keys.find(wanted)
        for key_id in wanted:
            key = found.get(key_id)
            if key is None:
                self._gone.add(key_id)
            else:
                self._opening[key_id] = AESGCM(key.secret)

    def open(
        self, event_id: str, event: DomainEvent, missing: set[str] | None = None
    ) -> DomainEvent:
        """`event` with its sealed fields opened: FORGOTTEN where the key is gone, as it
        was where a field was written in the clear. With `missing`, the ids of keys not yet
        fetched are collected there and their fields left sealed (fetch them, open again);
        without, such a field reads as forgotten. SealBrokenError when a field does not
        open with its own key."""

        def opened(path: str, value: str) -> str:
            sealed = split_sealed(value)
            if sealed is None:
                return value  # written in the clear, before sealing began
            key_id, blob = sealed
            cipher = self._opening.get(key_id)
            if cipher is not None:
                return unseal(cipher, blob, binding(event_id, path))
            if missing is not None and key_id not in self._gone:
                missing.add(key_id)
                return value
            return FORGOTTEN

        return with_personal(event, opened)


def sealed_event(event_id: str, event: DomainEvent, key: DataKey, cipher: AESGCM) -> DomainEvent:
    """`event` with its personal fields sealed with `key` (its owner's, for the period)."""

    def sealed(path: str, value: str) -> str:
        if is_forgotten(value):
            return FORGOTTEN_SEAL
        return seal(cipher, key.secret, key.key_id, value, binding(event_id, path))

    return with_personal(event, sealed)


def personal_values(event: DomainEvent) -> list[str]:
    values: list[str] = []

    def note(_path: str, value: str) -> str:
        values.append(value)
        return value

    with_personal(event, note)
    return values
