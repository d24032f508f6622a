"""Check-ins: every interval, Lukas writes to one member unasked, in turn.

The schedule lives in one stream, so it survives restarts and every instance reads the
same due time. Writing the message down (CheckInWritten) is the claim: it is appended with
the stream's expected version, so of two instances that find a check-in due, one sends it.
A claim left by a process that died before the result was recorded is marked failed, not
sent again: a member may miss one check-in, but never gets two.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import attrs

from lukas.application.dm_sessions import DmSessions
from lukas.application.identity import derive_event_id
from lukas.application.live_settings import SettingsSource
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.chat_model import ChatModel, ChatModelError
from lukas.application.ports.clock import Clock
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.application.ports.instances import Instances
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.proactive import ProactiveSwitch
from lukas.application.projections.check_in_schedule import (
    CHECK_IN_STREAM,
    CheckInState,
    check_in_state,
    moment,
)
from lukas.application.roster import read_roster
from lukas.domain.check_ins import (
    CheckInInterval,
    check_in_instruction,
    choose_member,
    template_check_in,
)
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.engagement import ActiveHours
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    CheckInOpened,
    CheckInPostponed,
    CheckInScheduled,
    CheckInSkipped,
    CheckInWritten,
    DomainEvent,
)
from lukas.domain.roster import Member

log = logging.getLogger(__name__)

# How often a waiting schedule looks again: a pause, a resume or a new interval is noticed
# within this long.
POLL = dt.timedelta(seconds=60)


def _shortened(state: CheckInState, interval: CheckInInterval, now: dt.datetime) -> bool:
    """An admin shortened the interval, and the due time drawn from the old one is further
    off than the new one allows: it is drawn again. A longer interval waits for the next."""
    return (
        state.due is not None
        and state.last_postponement is None
        and state.interval != interval.text
        and state.due - now > interval.high
    )


def _unquoted(text: str) -> str:
    for left, right in ('""', "\u201c\u201d", "''"):
        if len(text) > 1 and text[0] == left and text[-1] == right:
            return text[1:-1].strip()
    return text


@attrs.frozen
class CheckInSettings:
    """What stays fixed while Lukas runs; the interval and active hours are read live."""

    timezone: dt.tzinfo
    lukas_id: str  # the bot's own member id: Lukas never checks in with himself
    persona: str


class CheckIns:
    def __init__(
        self,
        *,
        store: EventStore,
        clock: Clock,
        random: Callable[[], float],
        settings: CheckInSettings,
        tunables: SettingsSource,
        switch: ProactiveSwitch,
        model: ChatModel,
        counter: TokenCounter,
        messages: DirectMessages,
        sessions: DmSessions,
        instances: Instances,
        zone_of: Callable[[Member], dt.tzinfo | None] = lambda _member: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._random = random
        self.settings = settings
        self._tunables = tunables
        self._switch = switch
        self._model = model
        self._counter = counter
        self._messages = messages
        self._sessions = sessions
        self._instances = instances
        self._zone_of = zone_of

    async def tick(self) -> dt.datetime:
        """Does whatever the schedule says is due now; returns when to look again."""
        now = self._clock.now()
        current = await self._tunables.current()
        interval, hours = current.interval, current.hours
        state = check_in_state(await self._store.read_stream(CHECK_IN_STREAM))
        if state.pending is not None:
            return await self._settle_abandoned(state, now, interval)
        if not state.scheduled:
            await self._append([self._schedule(now, interval)], state.version)
            return now
        if state.due is not None and now < state.due:
            if _shortened(state, interval, now):
                await self._append([self._schedule(now, interval)], state.version)
                return now
            return self._look_again(state.due, now)
        postponement = await self._postponement(now, hours)
        if postponement is not None:
            if postponement != state.last_postponement:
                await self._append([postponement], state.version)
            return self._look_again(moment(postponement.due), now)
        await self._check_in(state, now, interval)
        return now

    async def _check_in(
        self, state: CheckInState, now: dt.datetime, interval: CheckInInterval
    ) -> None:
        roster = await read_roster(self._store)
        choice = choose_member(roster, state.last_turn, self.settings.lukas_id)
        if choice is None:
            skipped = CheckInSkipped(reason="nobody to check in with (no people on the roster)")
            await self._append([skipped, self._schedule(now, interval)], state.version)
            return
        member = choice.member
        text, written_by = await self._write(member, now)
        written = CheckInWritten(
            member_id=member.member_id,
            member_name=member.name,
            text=text,
            written_by=written_by,
            reason=choice.reason,
        )
        if not await self._append([written], state.version):
            return  # another instance claimed this check-in first
        try:
            sent = await self._messages.send_direct(member.member_id, text)
        except DeliveryError as error:
            failed = CheckInFailed(member_id=member.member_id, reason=str(error))
            await self._append([failed, self._schedule(now, interval)], state.version + 1)
            return
        conversation = await self._sessions.start(sent.channel, sent.message_id)
        opened = CheckInOpened(
            member_id=member.member_id,
            text=text,
            platform_message_id=sent.message_id,
            token_count=self._counter.count(text),
        )
        await self._store.append(conversation.stream_id, [self._new(opened, sent.message_id)], None)
        delivered = CheckInDelivered(
            member_id=member.member_id,
            conversation=conversation,
            platform_message_id=sent.message_id,
        )
        await self._append([delivered, self._schedule(now, interval)], state.version + 1)
        log.info("checked in with %s (%s)", member.member_id, choice.reason)

    async def _write(self, member: Member, now: dt.datetime) -> tuple[str, str]:
        """The check-in in Lukas's voice, or the template when no model can write it."""
        local = now.astimezone(self._zone_of(member) or self.settings.timezone)
        persona, ask = self.settings.persona, check_in_instruction(member.name, local)
        messages = [
            ContextMessage(Role.SYSTEM, persona, self._counter.count(persona)),
            ContextMessage(Role.USER, ask, self._counter.count(ask)),
        ]
        try:
            completion = await self._model.complete(messages)
        except ChatModelError as error:
            log.warning("no model for a check-in (%s); using the template", error.kind.value)
            return template_check_in(member.name, local), "template"
        # Models like to put the message they were asked to write in quotes.
        text = _unquoted(completion.text.strip())
        if not text:
            return template_check_in(member.name, local), "template"
        return text, f"{completion.provider}:{completion.model}"

    async def _postponement(self, now: dt.datetime, hours: ActiveHours) -> CheckInPostponed | None:
        """Why a due check-in must wait, and until when; None if it may go now."""
        paused_until = await self._switch.paused_until()
        if paused_until is not None:
            if paused_until.year == dt.MAXYEAR:
                return CheckInPostponed(due=None, reason="paused until resumed")
            return CheckInPostponed(due=paused_until.isoformat(), reason="paused by an admin")
        local = now.astimezone(self.settings.timezone)
        if not hours.allows(local):
            opening = hours.next_opening(local)
            return CheckInPostponed(due=opening.isoformat(), reason="outside active hours")
        return None

    async def _settle_abandoned(
        self, state: CheckInState, now: dt.datetime, interval: CheckInInterval
    ) -> dt.datetime:
        assert state.pending is not None
        writer = state.pending.metadata.instance_id
        if writer and writer != self._instances.me and self._instances.is_alive(writer):
            return now + POLL  # another instance is sending it right now
        written = state.pending.event
        assert isinstance(written, CheckInWritten)
        failed = CheckInFailed(
            member_id=written.member_id,
            reason=(
                "no outcome was recorded (Lukas stopped while sending it, or the log could not"
                " be written); not sent again, so nobody gets it twice"
            ),
        )
        await self._append([failed, self._schedule(now, interval)], state.version)
        return now

    def _schedule(self, now: dt.datetime, interval: CheckInInterval) -> CheckInScheduled:
        draw = self._random()
        due = now + interval.pick(draw)
        return CheckInScheduled(due=due.isoformat(), interval=interval.text, draw=draw)

    def _look_again(self, due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return min(due, now + POLL) if due is not None else now + POLL

    async def _append(self, events: list[DomainEvent], version: int) -> bool:
        """Appends at `version`; False when another instance got there first."""
        # This instance's id is part of each event id: a rival writing the same claim at the
        # same version must meet a version conflict, not pass as a harmless duplicate.
        me = self._instances.me
        new = [self._new(event, me, str(version), str(n)) for n, event in enumerate(events)]
        try:
            result = await self._store.append(CHECK_IN_STREAM, new, version)
        except ConcurrencyError:
            return False
        return not result.was_duplicate

    def _new(self, event: DomainEvent, *about: str) -> NewEvent:
        event_id = derive_event_id("check-in", event.TYPE, *about, repr(event))
        return NewEvent(event_id, event, EventMetadata(event_id, None, self._instances.me))


async def run_check_ins(
    check_ins: CheckIns, clock: Clock, sleep: Callable[[float], Awaitable[None]]
) -> None:
    """Ticks the schedule for as long as Lukas runs; a failed tick is retried a poll later."""
    while True:
        try:
            look_again = await check_ins.tick()
        except Exception:
            log.warning("check-in round failed; trying again shortly", exc_info=True)
            look_again = clock.now() + POLL
        wait = (look_again - clock.now()).total_seconds()
        # Never spin: even "right away" yields to the rest of the bot for a moment.
        await sleep(max(wait, 0.05))
