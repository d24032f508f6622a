"""Alerts to the admins, at most one per kind within the interval: the rules of an
`admin-alerts:<kind>` stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lukas.domain.decider import Decider
from lukas.domain.events import AdminAlerted, DomainEvent
from lukas.domain.failures import FailureKind


@attrs.frozen
class AlertState:
    last_at: dt.datetime | None = None  # when the last alert of this kind was recorded


@attrs.frozen(kw_only=True)
class RaiseAlert:
    kind: FailureKind
    text: str
    admins: tuple[str, ...]
    now: dt.datetime
    interval: dt.timedelta


def decide(command: RaiseAlert, state: AlertState) -> Sequence[DomainEvent]:
    if state.last_at is not None and command.now - state.last_at < command.interval:
        return []
    return [AdminAlerted(kind=command.kind, text=command.text, admins=command.admins)]


def evolve(state: AlertState, event: DomainEvent, at: dt.datetime) -> AlertState:
    return AlertState(at) if isinstance(event, AdminAlerted) else state


ADMIN_ALERTS: Decider[RaiseAlert, AlertState] = Decider(AlertState(), decide, evolve)


def alert_stream(kind: FailureKind) -> str:
    return f"admin-alerts:{kind.value}"
