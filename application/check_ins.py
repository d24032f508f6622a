"""Check-ins: every interval, Lukas writes to one member unasked, in turn.

The schedule lives in one stream, so it survives restarts and every instance reads the
same due time; its rules are the stream's decider (domain/check_in_schedule.py). Writing
the message down (CheckInWritten) is the claim: it is appended with the stream's expected
version, so of two instances that find a check-in due, one sends it. The model writes the
message before the claim and the DM goes out after it, here, between decisions. A claim
left by a process that died before the result was recorded is marked failed, not sent
again: a member may miss one check-in, but never gets two.
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
from lukas.application.ports.checkpoints import Checkpoints, CheckpointSpec
from lukas.application.ports.clock import Clock
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.ports.instances import Instances
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.proactive import ProactiveSwitch
from lukas.application.roster import read_roster
from lukas.application.stream_checkpoints import KeptStream
from lukas.application.streams import catch_up_stream, decide_on_stream
from lukas.domain.check_in_schedule import (
    CHECK_IN_STREAM,
    CHECK_INS,
    CheckInCommand,
    CheckInState,
    Claim,
    Deliver,
    Fail,
    NextDue,
    Postpone,
    Schedule,
    Skip,
    moment,
    postponement,
    shortened,
)
from lukas.domain.check_ins import (
    CheckInInterval,
    check_in_instruction,
    choose_member,
    template_check_in,
)
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.events import CheckInOpened, CheckInWritten, DomainEvent
from lukas.domain.roster import Member

log = logging.getLogger(__name__)

# Bump when CheckInState's shape or the check-in decider's evolve changes.
CHECK_IN_SCHEDULE = CheckpointSpec[CheckInState]("stream:check-ins", 1, CheckInState)

# How often a waiting schedule looks again: a pause, a resume or a new interval is noticed
# within this long.
POLL = dt.timedelta(seconds=60)
ABANDONED = (
    "no outcome was recorded (Lukas stopped while sending it, or the log could not be"
    " written); not sent again, so nobody gets it twice"
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
        checkpoints: Checkpoints,
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
        # The schedule as far as it was read: each tick reads only what is new.
        self._schedule = KeptStream(checkpoints, CHECK_IN_SCHEDULE, CHECK_INS.initial)

    def drop_held(self) -> None:
        self._schedule.drop_held()

    async def tick(self) -> dt.datetime:
        """Does whatever the schedule says is due now; returns when to look again.
        Called by one loop at a time: the schedule's folded state is kept between calls."""
        now = self._clock.now()
        current = await self._tunables.current()
        interval, hours = current.interval, current.hours
        folded = await self._schedule.folded()
        state = (await catch_up_stream(self._store, CHECK_IN_STREAM, CHECK_INS, folded)).state
        await self._schedule.keep()
        if state.pending is not None:
            return await self._settle_abandoned(state.pending, now, interval)
        if not state.scheduled or shortened(state, interval, now):
            await self._decide(Schedule(next=self._next(now, interval)))
            return now
        if not state.is_due(now):
            return self._look_again(state.due, now)
        paused_until = await self._switch.paused_until()
        quiet = postponement(now, paused_until, hours, self.settings.timezone)
        if quiet is not None:
            await self._decide(Postpone(now=now, postponement=quiet))
            return self._look_again(moment(quiet.due), now)
        await self._check_in(state, now, interval)
        return now

    async def _check_in(
        self, state: CheckInState, now: dt.datetime, interval: CheckInInterval
    ) -> None:
        roster = await read_roster(self._store)
        choice = choose_member(roster, state.last_turn, self.settings.lukas_id)
        if choice is None:
            reason = "nobody to check in with (no people on the roster)"
            await self._decide(Skip(reason=reason, next=self._next(now, interval)))
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
        if not await self._decide(Claim(now=now, written=written, schedule=state)):
            return  # another instance claimed this check-in first
        try:
            sent = await self._messages.send_direct(member.member_id, text)
        except DeliveryError as error:
            await self._decide(
                Fail(claim=written, reason=str(error), next=self._next(now, interval))
            )
            return
        conversation = await self._sessions.start(sent.channel, sent.message_id)
        opened = CheckInOpened(
            member_id=member.member_id,
            text=text,
            platform_message_id=sent.message_id,
            token_count=self._counter.count(text),
        )
        # The conversation's first words; its id is the sent message's, so a retry is one.
        opened_id = derive_event_id("check-in", opened.TYPE, sent.message_id, repr(opened))
        metadata = EventMetadata(opened_id, None, self._instances.me)
        await self._store.append(
            conversation.stream_id, [NewEvent(opened_id, opened, metadata)], None
        )
        delivered = Deliver(
            claim=written,
            conversation=conversation,
            platform_message_id=sent.message_id,
            next=self._next(now, interval),
        )
        await self._decide(delivered)
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

    async def _settle_abandoned(
        self, claim: CheckInWritten, now: dt.datetime, interval: CheckInInterval
    ) -> dt.datetime:
        # Who wrote the claim is in its metadata, which the fold does not see. Nothing is
        # appended on top of a waiting claim, so it is the stream's last event.
        [last] = await self._store.read_stream_tail(CHECK_IN_STREAM, 1)
        if last.event != claim:
            return now  # settled meanwhile: look again at once
        writer = last.metadata.instance_id
        if writer and writer != self._instances.me and self._instances.is_alive(writer):
            return now + POLL  # another instance is sending it right now
        await self._decide(Fail(claim=claim, reason=ABANDONED, next=self._next(now, interval)))
        return now

    def _next(self, now: dt.datetime, interval: CheckInInterval) -> NextDue:
        # Drawn only when a due time is about to be decided: each schedule takes one draw.
        return NextDue(now=now, interval=interval, draw=self._random())

    def _look_again(self, due: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return min(due, now + POLL) if due is not None else now + POLL

    async def _decide(self, command: CheckInCommand) -> tuple[DomainEvent, ...]:
        """What `command` appended; empty when the stream had moved on (another instance
        got there first) and it no longer applied."""
        # The runner's event ids hold this instance's id: a rival writing the same claim at
        # the same version meets a version conflict, not a harmless duplicate.
        metadata = EventMetadata(CHECK_IN_STREAM, None, self._instances.me)
        decided = await decide_on_stream(
            self._store,
            CHECK_IN_STREAM,
            CHECK_INS,
            command,
            metadata,
            folded=await self._schedule.folded(),
        )
        await self._schedule.keep()
        return decided.events


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
