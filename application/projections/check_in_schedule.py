"""The check-in schedule, folded from the `check-ins` stream: when the next is due, whose
turn came when, and a claim still waiting for its outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    CheckInPostponed,
    CheckInScheduled,
    CheckInWritten,
)

CHECK_IN_STREAM = "check-ins"


@attrs.frozen
class CheckInState:
    version: int = 0
    scheduled: bool = False
    due: dt.datetime | None = None  # None once scheduled: postponed until resumed
    pending: RecordedEvent | None = None  # a CheckInWritten with no outcome yet
    last_turn: dict[str, dt.datetime] = attrs.field(factory=dict)
    last_postponement: CheckInPostponed | None = None
    interval: str | None = None  # the interval the due time was drawn from


def check_in_state(recorded: Sequence[RecordedEvent]) -> CheckInState:
    """The schedule folded from the check-in stream's events."""
    scheduled, due, pending, postponement, interval = False, None, None, None, None
    last_turn: dict[str, dt.datetime] = {}
    for r in recorded:
        event = r.event
        if isinstance(event, CheckInScheduled):
            scheduled, due, postponement = True, moment(event.due), None
            interval = event.interval
        elif isinstance(event, CheckInPostponed):
            due, postponement = moment(event.due), event
        elif isinstance(event, CheckInWritten):
            pending = r
        elif isinstance(event, CheckInDelivered | CheckInFailed):
            # A failed turn is still a turn: someone who cannot get DMs must not block the rest.
            last_turn[event.member_id] = r.recorded_at
            pending = None
    version = recorded[-1].version if recorded else 0
    return CheckInState(version, scheduled, due, pending, last_turn, postponement, interval)


def moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
