"""pybreaker's in-memory state, with the opening time kept on an injected Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pybreaker

from lukas.application.ports.clock import Clock


class ClockStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker compares `opened_at` with the real `datetime.now(UTC)`. Reporting it as "now,
    less the time the injected clock says has passed" makes the reset timeout follow that
    clock, so a fake clock can half-open the circuit without anyone waiting, while pybreaker's
    own state machine stays in charge.
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
