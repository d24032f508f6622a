"""The check-in schedule as others read it (the status answer): the `check-ins` stream
folded by its own decider (domain/check_in_schedule.py), so there is one fold, not two."""

from __future__ import annotations

from collections.abc import Sequence

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.check_in_schedule import CHECK_IN_STREAM, CHECK_INS, CheckInState

__all__ = ["CHECK_IN_STREAM", "CheckInState", "check_in_state"]


def check_in_state(recorded: Sequence[RecordedEvent]) -> CheckInState:
    """The schedule folded from the check-in stream's events."""
    return CHECK_INS.fold((r.event, r.recorded_at) for r in recorded)
