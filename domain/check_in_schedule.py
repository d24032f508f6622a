"""The `check-ins` stream's rules: when the next check-in is due, what may be written while
one waits, and the claim that lets one process, and only one, send it.

The times, interval and random draw come in with each command; the rotation and the
intervals themselves are in domain/check_ins.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs

from lukas.domain.check_ins import CheckInInterval
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.decider import Decider
from lukas.domain.engagement import ActiveHours
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    CheckInPostponed,
    CheckInScheduled,
    CheckInSkipped,
    CheckInWritten,
    DomainEvent,
)

CHECK_IN_STREAM = "check-ins"


@attrs.frozen
class CheckInState:
    scheduled: bool = False
    due: dt.datetime | None = None  # None once scheduled: postponed until resumed
    pending: CheckInWritten | None = None  # a claim with no outcome yet
    last_turn: Mapping[str, dt.datetime] = attrs.field(factory=dict)
    last_postponement: CheckInPostponed | None = None  # in force since the last schedule
    interval: str | None = None  # the interval the due time was drawn from

    def is_due(self, now: dt.datetime) -> bool:
        return self.scheduled and (self.due is None or now >= self.due)


@attrs.frozen(kw_only=True)
class NextDue:
    """The next due time, drawn now: `draw` (uniform in [0, 1)) picks it within `interval`."""

    now: dt.datetime
    interval: CheckInInterval
    draw: float

    def scheduled(self) -> CheckInScheduled:
        due = self.now + self.interval.pick(self.draw)
        return CheckInScheduled(due=due.isoformat(), interval=self.interval.text, draw=self.draw)


@attrs.frozen(kw_only=True)
class Schedule:
    """Draw a due time: the first one, or again after an admin shortened the interval."""

    next: NextDue


@attrs.frozen(kw_only=True)
class Postpone:
    now: dt.datetime
    postponement: CheckInPostponed


@attrs.frozen(kw_only=True)
class Skip:
    """Due, but nobody can be written to: the turn is recorded and the next one drawn."""

    reason: str
    next: NextDue


@attrs.frozen(kw_only=True)
class Claim:
    """Send `written`. `schedule` is the state the member was chosen and the message
    written on: if the stream moved on while the model wrote (another instance's check-in,
    a postponement for a pause), the claim is void, as an append at the version read
    would have been."""

    now: dt.datetime
    written: CheckInWritten
    schedule: CheckInState


@attrs.frozen(kw_only=True)
class Deliver:
    claim: CheckInWritten
    conversation: ConversationKey
    platform_message_id: str
    next: NextDue


@attrs.frozen(kw_only=True)
class Fail:
    """The claim did not go out (refused, or its writer died): never sent again."""

    claim: CheckInWritten
    reason: str
    next: NextDue


CheckInCommand = Schedule | Postpone | Skip | Claim | Deliver | Fail


def shortened(state: CheckInState, interval: CheckInInterval, now: dt.datetime) -> bool:
    """An admin shortened the interval, and the due time drawn from the old one is further
    off than the new one allows: it is drawn again. A longer interval waits for the next."""
    return (
        state.due is not None
        and state.last_postponement is None
        and state.interval != interval.text
        and state.due - now > interval.high
    )


def decide(command: CheckInCommand, state: CheckInState) -> Sequence[DomainEvent]:
    # While a claim waits for its outcome only that outcome may be written: whoever holds
    # the claim is sending it.
    if state.pending is not None:
        match command:
            case Deliver() if command.claim == state.pending:
                delivered = CheckInDelivered(
                    member_id=command.claim.member_id,
                    conversation=command.conversation,
                    platform_message_id=command.platform_message_id,
                )
                return [delivered, command.next.scheduled()]
            case Fail() if command.claim == state.pending:
                failed = CheckInFailed(member_id=command.claim.member_id, reason=command.reason)
                return [failed, command.next.scheduled()]
        return []
    match command:
        case Schedule(next=next_due):
            if not state.scheduled or shortened(state, next_due.interval, next_due.now):
                return [next_due.scheduled()]
        case Postpone(now=now, postponement=postponement):
            if state.is_due(now) and postponement != state.last_postponement:
                return [postponement]
        case Skip(next=next_due) if state.is_due(next_due.now):
            return [CheckInSkipped(reason=command.reason), next_due.scheduled()]
        case Claim(now=now, schedule=schedule) if state == schedule and state.is_due(now):
            return [command.written]
    return []


def evolve(state: CheckInState, event: DomainEvent, at: dt.datetime) -> CheckInState:
    match event:
        case CheckInScheduled():
            return attrs.evolve(
                state,
                scheduled=True,
                due=moment(event.due),
                last_postponement=None,
                interval=event.interval,
            )
        case CheckInPostponed():
            return attrs.evolve(state, due=moment(event.due), last_postponement=event)
        case CheckInWritten():
            return attrs.evolve(state, pending=event)
        case CheckInDelivered() | CheckInFailed():
            # A failed turn is still a turn: someone who cannot get DMs must not block the rest.
            turns = {**state.last_turn, event.member_id: at}
            return attrs.evolve(state, pending=None, last_turn=turns)
    return state


CHECK_INS: Decider[CheckInCommand, CheckInState] = Decider(CheckInState(), decide, evolve)


def postponement(
    now: dt.datetime, paused_until: dt.datetime | None, hours: ActiveHours, timezone: dt.tzinfo
) -> CheckInPostponed | None:
    """Why a due check-in must wait, and until when; None if it may go now."""
    if paused_until is not None:
        if paused_until.year == dt.MAXYEAR:
            return CheckInPostponed(due=None, reason="paused until resumed")
        return CheckInPostponed(due=paused_until.isoformat(), reason="paused by an admin")
    local = now.astimezone(timezone)
    if not hours.allows(local):
        opening = hours.next_opening(local)
        return CheckInPostponed(due=opening.isoformat(), reason="outside active hours")
    return None


def moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
