"""Reminders: set by anyone for themselves, another member or a channel; each fires once.

The rules are the `reminders` stream's decider (domain/reminders.py); this use case runs
them and does the sending. Firing is claimed first (ReminderFiring, appended with the
stream's expected version), so two instances never both send one, and only the process
that appended the claim sends. A reminder that fell due while Lukas was down fires when he
is back; one left half-sent by a process that died is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging

import anyio
import anyio.lowlevel

from lukas.application.identity import derive_event_id
from lukas.application.ports.announcements import ChannelPoster
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.checkpoints import Checkpoints, CheckpointSpec
from lukas.application.ports.clock import Clock
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.ports.instances import Instances
from lukas.application.stream_checkpoints import KeptStream
from lukas.application.streams import (
    Decided,
    StreamBusyError,
    catch_up_stream,
    decide_on_stream,
)
from lukas.domain.events import ReminderDelivered, ReminderFailed, ReminderFiring, ReminderSet
from lukas.domain.personal_data import is_forgotten
from lukas.domain.reminders import (
    REMINDER_STREAM,
    REMINDERS,
    AddReminder,
    CancelOwnReminder,
    ClaimDue,
    Command,
    NewReminder,
    RecordOutcome,
    Reminder,
    ReminderBook,
)

__all__ = ["POLL", "REMINDER_STREAM", "NewReminder", "Reminder", "Reminders", "reminder_text"]

log = logging.getLogger(__name__)

# Bump when ReminderBook's shape or the reminders decider's evolve changes.
REMINDER_BOOK = CheckpointSpec[ReminderBook]("stream:reminders", 1, ReminderBook)

# The longest a waiting loop sleeps: a reminder set by another instance is seen this soon.
POLL = dt.timedelta(seconds=15)


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
        checkpoints: Checkpoints,
    ) -> None:
        self._store = store
        self._clock = clock
        self._dms = dms
        self._channels = channels
        self._instances = instances
        # Created by run(), inside the event loop; set() wakes it to look at a new reminder.
        self._woken: anyio.Event | None = None
        # The book as far as this process has read it: the stream keeps every reminder ever
        # set and the loop looks at it every few seconds, so each look reads only what is
        # new. One task at a time brings it up to date, or two would fold the same events.
        self._book = KeptStream(checkpoints, REMINDER_BOOK, REMINDERS.initial)
        self._reading = anyio.Lock()

    async def set(self, new: NewReminder, request_id: str) -> ReminderSet:
        """Records the reminder; `request_id` (the asking message's id) makes it once-only."""
        reminder_id = derive_event_id("reminder", request_id)
        try:
            decided = await self._decide(AddReminder(reminder_id, new), reminder_id, request_id)
        except StreamBusyError:
            raise DeliveryError("the reminder book kept changing; try again") from None
        if decided.events and self._woken is not None:
            self._woken.set()
        # Set now, or by the same request before: either way the book holds it.
        reminder = (await self._read()).set_by(new.owner, reminder_id)
        if reminder is None:
            raise DeliveryError("the reminder was not recorded; try again")
        return reminder

    async def pending_for(self, owner: str) -> list[Reminder]:
        return (await self._read()).pending_for(owner)

    async def cancel(self, owner: str, number: int) -> Reminder | None:
        """Cancels the owner's pending reminder with that number; None if there is none."""
        asked = derive_event_id("reminder-cancel", owner, str(number))
        try:
            decided = await self._decide(CancelOwnReminder(owner, number), asked)
        except StreamBusyError:
            return None
        return decided.decided_on.numbered(owner, number) if decided.events else None

    async def tick(self) -> dt.datetime:
        """Sends the reminder due first, if any; returns when to look again."""
        now = self._clock.now()
        me = self._instances.me
        book = await self._read()
        gone = frozenset(c for c in book.claimers() if not self._instances.is_alive(c))
        decided = await self._decide(
            ClaimDue(now=now, by=me, gone=gone),
            derive_event_id("reminder-round", me, now.isoformat()),
        )
        claims = [e for e in decided.events if isinstance(e, ReminderFiring)]
        if not claims:
            upcoming = decided.decided_on.next_due_after(now)
            return min(upcoming, now + POLL) if upcoming is not None else now + POLL
        await self._send(decided.decided_on.waiting[claims[0].reminder_id].set)
        return now  # the book changed: look again at once

    def drop_held(self) -> None:
        self._book.drop_held()

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

    async def _send(self, reminder: ReminderSet) -> None:
        """Sends a reminder this process claimed, and records how it went."""
        outcome: ReminderDelivered | ReminderFailed
        if is_forgotten(reminder.text):
            # Its owner was forgotten (or retention reached it): nothing is left to say.
            outcome = ReminderFailed(
                reminder_id=reminder.reminder_id,
                reason="its words were forgotten before it was due",
            )
            await self._decide(RecordOutcome(outcome), reminder.reminder_id)
            return
        try:
            message_id = await self._deliver(reminder)
        except DeliveryError as error:
            outcome = ReminderFailed(reminder_id=reminder.reminder_id, reason=str(error))
        else:
            outcome = ReminderDelivered(
                reminder_id=reminder.reminder_id, platform_message_id=message_id
            )
        await self._decide(RecordOutcome(outcome), reminder.reminder_id)

    async def _deliver(self, reminder: ReminderSet) -> str:
        text = reminder_text(reminder)
        if reminder.target_kind == "channel":
            return (await self._channels.post_to_channel(reminder.target, text)).message_id
        return (await self._dms.send_direct(reminder.target, text)).message_id

    async def _decide(
        self, command: Command, correlation_id: str, causation_id: str | None = None
    ) -> Decided[ReminderBook]:
        metadata = EventMetadata(correlation_id, causation_id, self._instances.me)
        async with self._reading:
            folded = await self._book.folded()
            decided = await decide_on_stream(
                self._store, REMINDER_STREAM, REMINDERS, command, metadata, folded=folded
            )
            await self._book.keep()
            return decided

    async def _read(self) -> ReminderBook:
        async with self._reading:
            folded = await catch_up_stream(
                self._store, REMINDER_STREAM, REMINDERS, await self._book.folded()
            )
            await self._book.keep()
            return folded.state
