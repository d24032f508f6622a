"""Leadership: work that one process at a time must do (the schedulers: pictures,
check-ins, reminders, roster sync), whichever of several processes on one log does it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol


class Leadership(Protocol):
    async def lead(self, work: Callable[[], Awaitable[None]]) -> None:
        """Waits until this process leads, then runs `work` for as long as it does. If
        leadership is lost (the process's hold on it broke), `work` is cancelled and this
        waits to lead again; it returns only when `work` does."""
        ...
