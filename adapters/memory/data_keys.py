"""Data keys in memory: for tests of the use cases, held to the same contract as the real
key stores."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping

from lukas.application.ports.data_keys import KEY_BYTES, DataKey, DataKeyError


class InMemoryDataKeys:
    def __init__(self) -> None:
        self._keys: dict[str, DataKey] = {}
        self._epoch = 0
        self._first_opened_empty: bool | None = None

    async def key_for(self, person: str, period: str) -> DataKey:
        for key in self._keys.values():
            if key.person == person and key.period == period:
                return key
        key = DataKey(secrets.token_hex(16), person, period, secrets.token_bytes(KEY_BYTES))
        self._keys[key.key_id] = key
        return key

    async def find(self, key_ids: Collection[str]) -> Mapping[str, DataKey]:
        return {key_id: self._keys[key_id] for key_id in key_ids if key_id in self._keys}

    async def forget_person(self, person: str) -> int:
        return self._drop([k for k, key in self._keys.items() if key.person == person])

    async def drop_before(self, period: str) -> int:
        return self._drop([k for k, key in self._keys.items() if key.period < period])

    async def first_opened_empty(self, log_is_empty: bool) -> bool:
        if self._first_opened_empty is None:
            self._first_opened_empty = log_is_empty
        return self._first_opened_empty

    async def epoch(self) -> int:
        return self._epoch

    def _drop(self, key_ids: list[str]) -> int:
        for key_id in key_ids:
            del self._keys[key_id]
        if key_ids:
            self._epoch += 1
        return len(key_ids)


class NoDataKeys:
    """A log read where its key store is not (a copy of the log alone): every sealed word
    reads as forgotten, and nothing can be sealed."""

    async def key_for(self, person: str, period: str) -> DataKey:
        raise DataKeyError("no key store: nothing can be written to this log from here")

    async def find(self, key_ids: Collection[str]) -> Mapping[str, DataKey]:
        return {}

    async def forget_person(self, person: str) -> int:
        raise DataKeyError("no key store: nothing to forget from here")

    async def drop_before(self, period: str) -> int:
        return 0

    async def first_opened_empty(self, log_is_empty: bool) -> bool:
        return True  # nothing is known about it, and nothing claimed

    async def epoch(self) -> int:
        return 0
