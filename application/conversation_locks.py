"""One conversation's messages are answered in order; different conversations at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from lukas.domain.conversation_key import ConversationKey


class ConversationLocks:
    def __init__(self) -> None:
        self._locks: dict[ConversationKey, anyio.Lock] = {}
        self._users: dict[ConversationKey, int] = {}

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, anyio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:  # anyio's Lock serves waiters first come, first served
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle conversations so the map does not grow
                del self._users[key], self._locks[key]
