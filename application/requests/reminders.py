"""Reminders: set by anyone for themselves, another member or a channel; each fires once.

All reminders live in one stream. Firing is claimed first (ReminderFiring, appended with
the stream's expected version), so two instances never both send one. A reminder that fell
due while Lukas was down fires when he is back. A claim left by a process that died before
recording the outcome is sent again: a repeated reminder is a smaller harm than a lost one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Literal

import anyio
import anyio.lowlevel
import attrs

from lukas.application.identity import derive_event_id
from lukas.application.ports.announcements import ChannelPoster
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.clock import Clock
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.application.ports.instances import Instances
from lukas.domain.events import (
    DomainEvent,
    ReminderCancelled,
    ReminderDelivered,
    ReminderFailed,
    ReminderFiring,
    ReminderSet,
)

log = logging.getLogger(__name__)

REMINDER_STREAM = "reminders"
# The longest a waiting loop sleeps: a reminder set by another instance is seen this soon.
POLL = dt.timedelta(seconds=15)
_ROUNDS = 5

Status = Literal["pending", "firing", "delivered", "failed", "cancelled"]


@attrs.frozen
class Reminder:
    set: ReminderSet
    due: dt.datetime
    status: Status = "pending"
    firing_by: str | None = None


@attrs.frozen
class ReminderBook:
    version: int
    reminders: dict[str, Reminder]  # by reminder id, in the order they were set

    def numbers_used(self, owner: str) -> int:
        return sum(1 for r in self.reminders.values() if r.set.owner == owner)


def reminder_book(
    recorded: Sequence[RecordedEvent], before: ReminderBook | None = None
) -> ReminderBook:
    """The book `before` (if any) with `recorded`, the events after it, folded in."""
    reminders: dict[str, Reminder] = dict(before.reminders) if before else {}

    def mark(reminder_id: str, status: Status, by: str | None = None) -> None:
        known = reminders.get(reminder_id)
        # A cancellation arriving after the reminder fired changes nothing.
        if known is not None and (status != "cancelled" or known.status == "pending"):
            reminders[reminder_id] = attrs.evolve(known, status=status, firing_by=by)

    for r in recorded:
        match r.event:
            case ReminderSet() as event:
                reminders[event.reminder_id] = Reminder(event, dt.datetime.fromisoformat(event.due))
            case ReminderFiring(reminder_id=reminder_id):
                mark(reminder_id, "firing", r.metadata.instance_id)
            case ReminderDelivered(reminder_id=reminder_id):
                mark(reminder_id, "delivered")
            case ReminderFailed(reminder_id=reminder_id):
                mark(reminder_id, "failed")
            case ReminderCancelled(reminder_id=reminder_id):
                mark(reminder_id, "cancelled")
    version = recorded[-1].version if recorded else (before.version if before else 0)
    return ReminderBook(version, reminders)


@attrs.frozen(kw_only=True)
class NewReminder:
    owner: str
    owner_name: str
    target_kind: Literal["person", "channel"]
    target: str
    target_name: str
    due: dt.datetime
    text: str


def reminder_text(reminder: ReminderSet) -> str:
    """What the reminded person or channel reads."""
    if reminder.target_kind == "person" and reminder.target == reminder.owner:
        return f"\u23f0 Reminder: {reminder.text}"
    return f"\u23f0 Reminder from {reminder.owner_name}: {reminder.text}"


class Reminders:
    def __init__(
        self,
        *,
        store: EventStore,
        clock: Clock,
        dms: DirectMessages,
        channels: ChannelPoster,
        instances: Instances,
    ) -> None:
        self._store = store
        self._clock = clock
        self._dms = dms
        self._channels = channels
        self._instances = instances
        # Created by run(), inside the event loop; set() wakes it to look at a new reminder.
        self._woken: anyio.Event | None = None
        self._known: ReminderBook | None = None

    async def set(self, new: NewReminder, request_id: str) -> ReminderSet:
        """Records the reminder; `request_id` (the asking message's id) makes it once-only."""
        reminder_id = derive_event_id("reminder", request_id)
        for _ in range(_ROUNDS):
            book = await self._book()
            if reminder_id in book.reminders:
                return book.reminders[reminder_id].set  # the same request, delivered twice
            event = ReminderSet(
                reminder_id=reminder_id,
                number=book.numbers_used(new.owner) + 1,
                owner=new.owner,
                owner_name=new.owner_name,
                target_kind=new.target_kind,
                target=new.target,
                target_name=new.target_name,
                due=new.due.isoformat(),
                text=new.text,
            )
            if await self._append(event, book.version, reminder_id):
                if self._woken is not None:
                    self._woken.set()
                return event
        raise DeliveryError("the reminder book kept changing; try again")

    async def pending_for(self, owner: str) -> list[Reminder]:
        book = await self._book()
        mine = [
            r for r in book.reminders.values() if r.set.owner == owner and r.status == "pending"
        ]
        return sorted(mine, key=lambda r: r.due)

    async def cancel(self, owner: str, number: int) -> Reminder | None:
        """Cancels the owner's pending reminder with that number; None if there is none."""
        for _ in range(_ROUNDS):
            book = await self._book()
            found = next(
                (
                    r
                    for r in book.reminders.values()
                    if r.set.owner == owner and r.set.number == number and r.status == "pending"
                ),
                None,
            )
            if found is None:
                return None
            cancelled = ReminderCancelled(reminder_id=found.set.reminder_id, by=owner)
            if await self._append(cancelled, book.version, found.set.reminder_id):
                return found
        return None

    async def tick(self) -> dt.datetime:
        """Sends every reminder that is due; returns when to look again."""
        now = self._clock.now()
        book = await self._book()
        waiting = [r for r in book.reminders.values() if r.status in {"pending", "firing"}]
        for reminder in sorted(waiting, key=lambda r: r.due):
            if reminder.due > now:
                return min(reminder.due, now + POLL)
            if self._may_fire(reminder):
                await self._fire(reminder.set, book.version)
                return now  # the book changed: read it again
        return now + POLL

    async def run(self) -> None:
        """Fires reminders for as long as Lukas runs; a new one set here wakes it early."""
        while True:
            self._woken = anyio.Event()
            try:
                look_again = await self.tick()
            except Exception:
                log.warning("the reminder round failed; trying again shortly", exc_info=True)
                look_again = self._clock.now() + POLL
            wait = (look_again - self._clock.now()).total_seconds()
            if wait <= 0:
                await anyio.lowlevel.checkpoint()  # let the rest of Lukas run between sends
                continue
            with anyio.move_on_after(wait):
                await self._woken.wait()

    def _may_fire(self, reminder: Reminder) -> bool:
        if reminder.status == "pending":
            return True
        if reminder.status != "firing" or reminder.firing_by is None:
            return False
        # Left half-sent by a process that is gone: send it again.
        return not self._instances.is_alive(reminder.firing_by)

    async def _fire(self, reminder: ReminderSet, version: int) -> None:
        claim = ReminderFiring(reminder_id=reminder.reminder_id)
        if not await self._append(claim, version, reminder.reminder_id, self._instances.me):
            return  # another instance took it
        outcome: DomainEvent
        try:
            message_id = await self._deliver(reminder)
        except DeliveryError as error:
            outcome = ReminderFailed(reminder_id=reminder.reminder_id, reason=str(error))
        else:
            outcome = ReminderDelivered(
                reminder_id=reminder.reminder_id, platform_message_id=message_id
            )
        await self._append(outcome, None, reminder.reminder_id)

    async def _deliver(self, reminder: ReminderSet) -> str:
        text = reminder_text(reminder)
        if reminder.target_kind == "channel":
            return (await self._channels.post_to_channel(reminder.target, text)).message_id
        return (await self._dms.send_direct(reminder.target, text)).message_id

    async def _book(self) -> ReminderBook:
        # Only the events since the book this process last read: the stream keeps every
        # reminder ever set, and the loop looks at it every few seconds.
        known = self._known
        start = known.version + 1 if known else 1
        book = reminder_book(await self._store.read_stream(REMINDER_STREAM, start), known)
        if known is None or book.version >= known.version:
            self._known = book
        return book

    async def _append(self, event: DomainEvent, version: int | None, *about: str) -> bool:
        event_id = derive_event_id("reminders", event.TYPE, *about, str(version))
        metadata = EventMetadata(event_id, None, self._instances.me)
        try:
            result = await self._store.append(
                REMINDER_STREAM, [NewEvent(event_id, event, metadata)], version
            )
        except ConcurrencyError:
            return False
        return not result.was_duplicate
