"""Lukas speaking up unasked: judging new threads once, within active hours, unless paused.

Each thread's judgement is its own stream, created with the expected version "no stream",
so it is judged once even with two instances running. Pauses are events in one stream, so
they survive restarts and every instance sees them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from lukas.application.identity import derive_event_id
from lukas.application.live_settings import SettingsSource
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    NO_STREAM,
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.engagement import ActiveHours, Draws, EngagementOdds, judge_thread
from lukas.domain.events import (
    DomainEvent,
    EngagementDecided,
    MessageReceived,
    ProactivePaused,
    ProactiveResumed,
)

PAUSE_STREAM = "proactive"


def engagement_stream(channel: str, ts: str) -> str:
    """Where the judgement of the new top-level message `ts` in `channel` is kept."""
    return f"engagement:{channel}:{ts}"


class ProactiveSwitch:
    """Admins pause and resume Lukas's unasked messages; the log remembers."""

    def __init__(self, store: EventStore, clock: Clock, instance_id: str | None = None) -> None:
        self._store = store
        self._clock = clock
        self._instance_id = instance_id

    async def pause(self, by: str, until: dt.datetime | None = None) -> None:
        await self._record(ProactivePaused(until=until.isoformat() if until else None, by=by))

    async def resume(self, by: str) -> None:
        await self._record(ProactiveResumed(by=by))

    async def paused_until(self) -> dt.datetime | None:
        """When a pause in force ends (datetime.max for "until resumed"); None if not paused."""
        tail = await self._store.read_stream_tail(PAUSE_STREAM, 1)
        if not tail or not isinstance(tail[-1].event, ProactivePaused):
            return None
        until = tail[-1].event.until
        if until is None:
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        end = dt.datetime.fromisoformat(until)
        return end if end > self._clock.now() else None

    async def _record(self, event: DomainEvent) -> None:
        at = self._clock.now().isoformat()
        event_id = derive_event_id("proactive", event.TYPE, at, self._instance_id or "")
        metadata = EventMetadata(event_id, None, self._instance_id)
        await self._store.append(PAUSE_STREAM, [NewEvent(event_id, event, metadata)], None)


class ThreadJudge:
    def __init__(
        self,
        *,
        store: EventStore,
        clock: Clock,
        random: Callable[[], float],
        settings: SettingsSource,
        timezone: dt.tzinfo,
        busy_thread_messages: int = 10,
        switch: ProactiveSwitch,
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._random = random
        self._settings = settings
        self._busy_thread_messages = busy_thread_messages
        self._timezone = timezone
        self._switch = switch
        self._instance_id = instance_id

    async def judge(
        self, channel: str, ts: str, replies_so_far: int = 0
    ) -> EngagementDecided | None:
        """The decision for a new top-level message; None if it was judged before."""
        stream = engagement_stream(channel, ts)
        current = await self._settings.current()
        odds = EngagementOdds(
            thread_probability=current.thread_probability,
            reaction_probability=current.reaction_probability,
            busy_thread_messages=self._busy_thread_messages,
        )
        quiet = await self._why_quiet(current.hours)
        draws = Draws(self._random(), self._random(), self._random())
        judgement = judge_thread(odds, draws, replies_so_far)
        decision = EngagementDecided(
            channel=channel,
            ts=ts,
            thread_probability=odds.thread_probability,
            thread_draw=draws.thread,
            reply=judgement.reply and quiet is None,
            reaction_probability=odds.reaction_probability,
            reaction_draw=draws.reaction,
            reaction=judgement.reaction if quiet is None else None,
            reason=quiet or judgement.reason,
        )
        event_id = derive_event_id("engagement", stream)
        metadata = EventMetadata(event_id, None, self._instance_id)
        try:
            result = await self._store.append(
                stream, [NewEvent(event_id, decision, metadata)], NO_STREAM
            )
        except ConcurrencyError:
            return None
        return None if result.was_duplicate else decision

    async def decision_for(self, channel: str, ts: str) -> EngagementDecided | None:
        """The judgement recorded for a new top-level message, if it was judged."""
        recorded = await self._store.read_stream(engagement_stream(channel, ts))
        first = recorded[0].event if recorded else None
        return first if isinstance(first, EngagementDecided) else None

    async def keeps_following(self, channel: str, thread_ts: str, key: ConversationKey) -> bool:
        """Whether Lukas answers a new reply in a thread he is part of: always where he was
        asked in; where he joined unasked, until the thread gets busy. People talking among
        themselves in a long thread do not want the bear's word on every message."""
        if not await self._store.read_stream_tail(engagement_stream(channel, thread_ts), 1):
            return True  # he was mentioned into this thread
        said = sum(
            isinstance(r.event, MessageReceived)
            for r in await self._store.read_stream(key.stream_id)
        )
        return said < self._busy_thread_messages

    async def _why_quiet(self, hours: ActiveHours) -> str | None:
        if await self._switch.paused_until() is not None:
            return "paused by an admin"
        if not hours.allows(self._clock.now().astimezone(self._timezone)):
            return "outside active hours"
        return None
