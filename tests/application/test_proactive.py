"""Judging new threads once, with recorded draws, within active hours, unless paused."""

from __future__ import annotations

import datetime as dt
import itertools

import anyio
import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.live_settings import LiveSettings, Tunables
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.application.proactive import ProactiveSwitch, ThreadJudge
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.engagement import EngagementOdds
from lukas.domain.events import EngagementDecided, MessageReceived
from lukas.domain.routing import Route

pytestmark = pytest.mark.anyio

FRIDAY_NOON = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def judge_for(
    store: InMemoryEventStore,
    clock: FakeClock,
    *,
    odds: EngagementOdds,
    draws: list[float],
    hours: str = "08:00-18:00",
) -> ThreadJudge:
    source = itertools.cycle(draws)
    settings = Tunables(
        thread_probability=odds.thread_probability,
        reaction_probability=odds.reaction_probability,
        active_hours=hours,
    )
    return ThreadJudge(
        store=store,
        clock=clock,
        random=lambda: next(source),
        settings=LiveSettings(store, settings),
        timezone=dt.UTC,
        busy_thread_messages=odds.busy_thread_messages,
        switch=ProactiveSwitch(store, clock),
    )


async def test_each_thread_is_judged_once_and_the_draws_are_recorded() -> None:
    clock = FakeClock(FRIDAY_NOON)
    store = InMemoryEventStore(clock)
    judge = judge_for(store, clock, odds=EngagementOdds(0.2, 0.15), draws=[0.1, 0.5, 0.3])
    decision = await judge.judge("C0GEN", "1.1")
    assert decision is not None
    assert (decision.reply, decision.reaction) == (True, None)
    assert (decision.thread_draw, decision.reaction_draw) == (0.1, 0.5)
    assert await judge.judge("C0GEN", "1.1") is None
    [recorded] = await store.read_all()
    assert recorded.event == decision


async def test_two_instances_judge_a_thread_once() -> None:
    clock = FakeClock(FRIDAY_NOON)
    store = InMemoryEventStore(clock)
    judges = [judge_for(store, clock, odds=EngagementOdds(1.0, 1.0), draws=[0.5]) for _ in "ab"]
    results: list[EngagementDecided | None] = []

    async def judge(index: int) -> None:
        results.append(await judges[index].judge("C0GEN", "2.2"))

    async with anyio.create_task_group() as group:
        for index in range(2):
            group.start_soon(judge, index)
    assert sorted(r is None for r in results) == [False, True]


async def test_outside_active_hours_lukas_stays_quiet_and_says_why() -> None:
    clock = FakeClock(FRIDAY_NOON.replace(hour=20))
    store = InMemoryEventStore(clock)
    judge = judge_for(store, clock, odds=EngagementOdds(1.0, 1.0), draws=[0.0])
    decision = await judge.judge("C0GEN", "3.3")
    assert decision is not None
    assert (decision.reply, decision.reaction, decision.reason) == (
        False,
        None,
        "outside active hours",
    )


async def test_a_pause_holds_until_its_time_or_a_resume() -> None:
    clock = FakeClock(FRIDAY_NOON)
    store = InMemoryEventStore(clock)
    judge = judge_for(store, clock, odds=EngagementOdds(1.0, 1.0), draws=[0.0])
    switch = ProactiveSwitch(store, clock)
    await switch.pause("U0ADMIN", until=FRIDAY_NOON + dt.timedelta(hours=1))
    quiet = await judge.judge("C0GEN", "4.1")
    assert quiet is not None
    assert quiet.reason == "paused by an admin"
    clock.advance(3601)
    after = await judge.judge("C0GEN", "4.2")
    assert after is not None
    assert after.reply
    await switch.pause("U0ADMIN")
    assert await switch.paused_until() is not None
    await switch.resume("U0ADMIN")
    assert await switch.paused_until() is None


async def said_in_thread(store: InMemoryEventStore, key: ConversationKey, count: int) -> None:
    for n in range(count):
        event = MessageReceived(
            conversation=key,
            author_id="U1",
            author_name="Ada",
            text=f"message {n}",
            platform_message_id=f"1700000600.{n:06d}",
            token_count=3,
            route=Route.addressed(),
        )
        event_id = f"said-{key.value}-{n}"
        await store.append(
            key.stream_id, [NewEvent(event_id, event, EventMetadata(event_id))], None
        )


async def test_a_thread_joined_unasked_is_left_alone_once_busy() -> None:
    clock = FakeClock(FRIDAY_NOON)
    store = InMemoryEventStore(clock)
    judge = judge_for(
        store, clock, odds=EngagementOdds(1.0, 0.0, busy_thread_messages=3), draws=[0.0]
    )
    assert await judge.judge("C1", "1700000600.000000") is not None
    key = ConversationKey.slack_thread("C1", "1700000600.000000")
    await said_in_thread(store, key, 2)
    assert await judge.keeps_following("C1", "1700000600.000000", key)
    await said_in_thread(store, key, 3)
    assert not await judge.keeps_following("C1", "1700000600.000000", key)


async def test_a_thread_lukas_was_asked_into_is_always_followed() -> None:
    clock = FakeClock(FRIDAY_NOON)
    store = InMemoryEventStore(clock)
    judge = judge_for(
        store, clock, odds=EngagementOdds(1.0, 0.0, busy_thread_messages=3), draws=[0.0]
    )
    key = ConversationKey.slack_thread("C1", "1700000700.000000")
    await said_in_thread(store, key, 20)
    assert await judge.keeps_following("C1", "1700000700.000000", key)
