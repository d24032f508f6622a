"""Reminders: the rules of the one `reminders` stream, which keeps every reminder ever set.

A reminder is numbered among its owner's, set once per asking message, cancelled by its
owner while it waits, and fired once: the firing is claimed (ReminderFiring, naming the
process) before anything is sent, and only a claim left by a process that is gone is
taken over. A repeated reminder is a smaller harm than a lost one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

import attrs

from lukas.domain.decider import Decider
from lukas.domain.events import (
    DomainEvent,
    ReminderCancelled,
    ReminderDelivered,
    ReminderFailed,
    ReminderFiring,
    ReminderSet,
)

REMINDER_STREAM = "reminders"


@attrs.frozen
class Reminder:
    """A reminder not yet settled (sent, failed or cancelled)."""

    set: ReminderSet
    due: dt.datetime
    status: Literal["pending", "firing"] = "pending"
    # The process sending it; None for a claim recorded before claims named their process.
    firing_by: str | None = None


@attrs.frozen
class ReminderBook:
    # Every reminder ever set, by owner and then by id: an owner's numbers count theirs, and
    # an asking message delivered twice finds the one it set. Nested by owner so that a new
    # reminder copies its owner's reminders, not the whole book.
    by_owner: Mapping[str, Mapping[str, ReminderSet]] = attrs.field(factory=dict)
    # The reminders still waiting, by id in the order they were set: the few that matter.
    waiting: Mapping[str, Reminder] = attrs.field(factory=dict)

    def numbers_used(self, owner: str) -> int:
        return len(self.by_owner.get(owner, {}))

    def set_by(self, owner: str, reminder_id: str) -> ReminderSet | None:
        return self.by_owner.get(owner, {}).get(reminder_id)

    def pending_for(self, owner: str) -> list[Reminder]:
        mine = [r for r in self.waiting.values() if r.set.owner == owner and r.status == "pending"]
        return sorted(mine, key=lambda r: r.due)

    def numbered(self, owner: str, number: int) -> Reminder | None:
        """The owner's pending reminder with that number."""
        return next((r for r in self.pending_for(owner) if r.set.number == number), None)

    def next_due_after(self, now: dt.datetime) -> dt.datetime | None:
        return min((r.due for r in self.waiting.values() if r.due > now), default=None)

    def claimers(self) -> frozenset[str]:
        """The processes that claimed a reminder they have not yet settled."""
        return frozenset(
            r.firing_by for r in self.waiting.values() if r.firing_by and r.status == "firing"
        )


# Commands ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NewReminder:
    owner: str
    owner_name: str
    target_kind: Literal["person", "channel"]
    target: str
    target_name: str
    due: dt.datetime
    text: str


@attrs.frozen
class AddReminder:
    reminder_id: str  # derived from the asking message: asked twice, set once
    new: NewReminder


@attrs.frozen
class CancelOwnReminder:
    owner: str
    number: int


@attrs.frozen(kw_only=True)
class ClaimDue:
    """Claim the reminder due first that may be sent now."""

    now: dt.datetime
    by: str  # the process claiming
    gone: frozenset[str]  # processes known to have died: their claims may be taken over


@attrs.frozen
class RecordOutcome:
    outcome: ReminderDelivered | ReminderFailed


Command = AddReminder | CancelOwnReminder | ClaimDue | RecordOutcome


def decide(command: Command, book: ReminderBook) -> Sequence[DomainEvent]:
    match command:
        case AddReminder(reminder_id=reminder_id, new=new):
            if book.set_by(new.owner, reminder_id) is not None:
                return []  # the same request, delivered twice
            return [_reminder_set(reminder_id, book.numbers_used(new.owner) + 1, new)]
        case CancelOwnReminder(owner=owner, number=number):
            found = book.numbered(owner, number)
            if found is None:
                return []
            return [ReminderCancelled(reminder_id=found.set.reminder_id, by=owner)]
        case ClaimDue():
            due = _first_to_send(book, command)
            if due is None:
                return []
            return [ReminderFiring(reminder_id=due.set.reminder_id, by=command.by)]
        case RecordOutcome(outcome=outcome):
            claimed = book.waiting.get(outcome.reminder_id)
            # Settled already, or never claimed: nothing was sent that needs recording.
            return [outcome] if claimed is not None and claimed.status == "firing" else []


def _reminder_set(reminder_id: str, number: int, new: NewReminder) -> ReminderSet:
    return ReminderSet(
        reminder_id=reminder_id,
        number=number,
        owner=new.owner,
        owner_name=new.owner_name,
        target_kind=new.target_kind,
        target=new.target,
        target_name=new.target_name,
        due=new.due.isoformat(),
        text=new.text,
    )


def _first_to_send(book: ReminderBook, claim: ClaimDue) -> Reminder | None:
    for reminder in sorted(book.waiting.values(), key=lambda r: r.due):
        if reminder.due > claim.now:
            return None
        if reminder.status == "pending":
            return reminder
        # Left half-sent by a process that is gone: send it again. An unnamed claim was
        # made by a version of Lukas that has since been replaced.
        if reminder.firing_by is None or reminder.firing_by in claim.gone:
            return reminder
    return None


def evolve(book: ReminderBook, event: DomainEvent, _at: dt.datetime) -> ReminderBook:
    match event:
        case ReminderSet(owner=owner, reminder_id=reminder_id):
            mine = book.by_owner.get(owner, {})
            if reminder_id in mine:
                return book
            waiting = Reminder(event, dt.datetime.fromisoformat(event.due))
            return ReminderBook(
                {**book.by_owner, owner: {**mine, reminder_id: event}},
                {**book.waiting, reminder_id: waiting},
            )
        case ReminderFiring(reminder_id=reminder_id, by=by) if reminder_id in book.waiting:
            claimed = attrs.evolve(book.waiting[reminder_id], status="firing", firing_by=by)
            return attrs.evolve(book, waiting={**book.waiting, reminder_id: claimed})
        case ReminderCancelled(reminder_id=reminder_id):
            known = book.waiting.get(reminder_id)
            # A cancellation arriving after the reminder began firing changes nothing.
            return _settled(book, reminder_id) if known and known.status == "pending" else book
        case ReminderDelivered(reminder_id=reminder_id) | ReminderFailed(reminder_id=reminder_id):
            return _settled(book, reminder_id)
        case _:
            return book


def _settled(book: ReminderBook, reminder_id: str) -> ReminderBook:
    if reminder_id not in book.waiting:
        return book
    waiting = {k: r for k, r in book.waiting.items() if k != reminder_id}
    return attrs.evolve(book, waiting=waiting)


REMINDERS: Decider[Command, ReminderBook] = Decider(ReminderBook(), decide, evolve)
