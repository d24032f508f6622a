"""pybreaker's in-memory state, with the opening time kept on an injected Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pybreaker

from lukas.application.ports.clock import Clock


class ClockStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's in-memory state, with the time it opens the circuit read from the clock.

    The breaker adapter decides when the reset timeout is over from `seconds_open`, so a fake
    clock can half-open the circuit without anyone waiting. `opened_at` stays consistent with
    it for pybreaker's own open-state check, which compares it with the real
    `datetime.now(UTC)`: it reads as "now, less the time the injected clock says has passed".
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__(pybreaker.STATE_CLOSED)
        self._clock = clock
        self._opened_on: float | None = None

    def seconds_open(self) -> float:
        return 0.0 if self._opened_on is None else self._clock.monotonic() - self._opened_on

    @property
    def opened_at(self) -> datetime | None:
        if self._opened_on is None:
            return None
        return datetime.now(UTC) - timedelta(seconds=self.seconds_open())

    @opened_at.setter
    def opened_at(self, _real_now: datetime) -> None:
        self._opened_on = self._clock.monotonic()
