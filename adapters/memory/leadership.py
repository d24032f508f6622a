"""Leadership where only one process uses the log (a SQLite file, the console, tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class SoleLeader:
    async def lead(self, work: Callable[[], Awaitable[None]]) -> None:
        await work()
