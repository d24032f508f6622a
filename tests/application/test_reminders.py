"""Reminders against fakes: set, listed, cancelled, fired once, also across restarts."""

from __future__ import annotations

import datetime as dt

import anyio
import pytest
from fakes.desk_world import ADMIN, NOW, make_desk_world
from fakes.direct_messages import FakeDirectMessages
from fakes.instances import FakeInstances

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, NewEvent, RecordedEvent
from lukas.application.requests.reminders import POLL, REMINDER_STREAM, NewReminder, Reminders
from lukas.domain.events import (
    ReminderCancelled,
    ReminderDelivered,
    ReminderFailed,
    ReminderFiring,
    ReminderSet,
)

pytestmark = pytest.mark.anyio


async def kinds(store: object) -> list[type]:
    assert hasattr(store, "read_stream")
    return [type(r.event) for r in await store.read_stream(REMINDER_STREAM)]


async def test_a_reminder_for_oneself_fires_once_at_its_time() -> None:
    desk = await make_desk_world()
    answer = await desk.say("remind me in 30 minutes to check the build")
    assert answer.startswith("Okay! I'll remind you today at 10:30: check the build (reminder 1;")
    await desk.reminders.tick()
    assert desk.dms.sent == []
    desk.clock.advance(30 * 60)
    await desk.reminders.tick()
    await desk.reminders.tick()
    assert desk.dms.sent == [("U0ADA", "⏰ Reminder: check the build")]
    assert await kinds(desk.world.store) == [ReminderSet, ReminderFiring, ReminderDelivered]


async def test_reminders_for_a_teammate_and_a_channel() -> None:
    desk = await make_desk_world()
    to_grace = await desk.say("remind @grace at 3pm to send the slides")
    assert to_grace.startswith("Okay! I'll remind Grace today at 15:00: send the slides")
    to_general = await desk.say("remind #general tomorrow at 9am about the standup")
    assert to_general.startswith("Okay! I'll remind #general tomorrow at 09:00: the standup")
    desk.clock.advance(24 * 3600)
    for _ in range(3):
        await desk.reminders.tick()
    assert desk.dms.sent == [("UADMIN", "⏰ Reminder from Ada: send the slides")]
    assert desk.channels.posted == [("C0GEN", "⏰ Reminder from Ada: the standup")]


async def test_an_unknown_teammate_is_named_in_the_answer() -> None:
    desk = await make_desk_world()
    assert await desk.say("remind @zed at 3pm to smile") == (
        "I don't know anyone called 'zed' on the team."
    )
    assert await kinds(desk.world.store) == []


async def test_list_and_cancel_only_your_own() -> None:
    desk = await make_desk_world()
    await desk.say("remind me tomorrow at 9am to water the plants")
    await desk.say("remind me in 2 hours to stretch")
    await desk.say("remind me in 1 hour to do the admin thing", ADMIN)
    listed = await desk.say("reminders")
    assert listed.splitlines() == [
        "Your reminders:",
        "2. today at 12:00, for you: stretch",
        "1. tomorrow at 09:00, for you: water the plants",
    ]
    assert await desk.say("cancel reminder 1", ADMIN) == "Cancelled reminder 1: do the admin thing"
    assert await desk.say("cancel reminder 2") == "Cancelled reminder 2: stretch"
    assert "no waiting reminder 2" in await desk.say("cancel reminder 2")
    desk.clock.advance(3 * 3600)
    await desk.reminders.tick()
    assert desk.dms.sent == []
    assert (await kinds(desk.world.store)).count(ReminderCancelled) == 2


async def test_a_reminder_due_while_lukas_was_down_fires_once_after_restart() -> None:
    desk = await make_desk_world()
    await desk.say("remind me in 1 minute to stand up")
    desk.clock.advance(3600)  # Lukas was down for an hour
    dms = FakeDirectMessages()
    restarted = Reminders(
        store=desk.world.store,
        clock=desk.clock,
        dms=dms,
        channels=desk.channels,
        checkpoints=desk.world.checkpoints,
        instances=FakeInstances("instance-b"),
    )
    for _ in range(3):
        await restarted.tick()
    assert dms.sent == [("U0ADA", "⏰ Reminder: stand up")]


async def test_two_instances_fire_a_reminder_once() -> None:
    desk = await make_desk_world()
    await desk.say("remind me in 1 minute to stand up")
    desk.clock.advance(120)
    other = Reminders(
        store=desk.world.store,
        clock=desk.clock,
        dms=desk.dms,
        channels=desk.channels,
        checkpoints=desk.world.checkpoints,
        instances=FakeInstances("instance-b", alive=["instance-a"]),
    )
    async with anyio.create_task_group() as both:
        both.start_soon(desk.reminders.tick)
        both.start_soon(other.tick)
    await desk.reminders.tick()
    await other.tick()
    assert desk.dms.sent == [("U0ADA", "⏰ Reminder: stand up")]


async def test_a_firing_left_by_a_dead_instance_is_sent_again() -> None:
    desk = await make_desk_world()
    await desk.say("remind me in 1 minute to stand up")
    [set_event] = await desk.world.store.read_stream(REMINDER_STREAM)
    assert isinstance(set_event.event, ReminderSet)
    claim_id = derive_event_id("test", "claim")
    claim = ReminderFiring(reminder_id=set_event.event.reminder_id, by="gone")
    await desk.world.store.append(
        REMINDER_STREAM, [NewEvent(claim_id, claim, EventMetadata(claim_id, None, "gone"))], 1
    )
    desk.clock.advance(120)
    await desk.reminders.tick()
    await desk.reminders.tick()
    assert desk.dms.sent == [("U0ADA", "⏰ Reminder: stand up")]


async def test_a_refused_delivery_is_recorded_and_not_retried() -> None:
    desk = await make_desk_world()
    await desk.say("remind #secret in 1 minute about the party")
    desk.clock.advance(120)
    for _ in range(3):
        await desk.reminders.tick()
    events = [r.event for r in await desk.world.store.read_stream(REMINDER_STREAM)]
    assert isinstance(events[-1], ReminderFailed)
    assert "not_in_channel" in events[-1].reason
    assert desk.channels.posted == []


async def test_a_redelivered_request_sets_one_reminder() -> None:
    desk = await make_desk_world()
    incoming = desk.message("remind me in 5 minutes to breathe")
    await desk.lukas.inbound.take(incoming)
    again = await desk.lukas.inbound.take(incoming)
    assert again.duplicate
    assert await kinds(desk.world.store) == [ReminderSet]


async def test_the_next_look_is_when_the_next_reminder_falls_due_or_a_poll() -> None:
    desk = await make_desk_world()
    soon = NewReminder(
        owner="U0ADA",
        owner_name="Ada",
        target_kind="person",
        target="U0ADA",
        target_name="Ada",
        due=NOW + dt.timedelta(seconds=10),
        text="blink",
    )
    await desk.reminders.set(soon, "request-1")
    assert await desk.reminders.tick() == NOW + dt.timedelta(seconds=10)
    desk.clock.advance(10)
    await desk.reminders.tick()
    assert await desk.reminders.tick() == desk.clock.now() + POLL


async def test_each_round_reads_only_the_reminder_events_since_the_last() -> None:
    desk = await make_desk_world()
    for n in range(3):
        await desk.say(f"remind me in {n + 1} hours to stretch")
    store = desk.world.store
    reads: list[tuple[int, list[int]]] = []  # where each read started, what it returned
    original = store.read_stream

    async def counting(stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        recorded = await original(stream_id, from_version)
        if stream_id == REMINDER_STREAM:
            reads.append((from_version, [r.version for r in recorded]))
        return recorded

    store.read_stream = counting  # type: ignore[method-assign]
    await desk.reminders.tick()
    await desk.reminders.tick()
    desk.clock.advance(3600)
    await desk.reminders.tick()  # fires the first: claim and delivery
    await desk.reminders.tick()
    await desk.reminders.tick()
    assert desk.dms.sent == [("U0ADA", "⏰ Reminder: stretch")]
    # The book read when the reminders were set is not read again, and each read starts
    # right after the last event this process has read: never again from the start.
    assert reads[0][0] > 1
    seen = reads[0][0] - 1
    for start, versions in reads:
        assert start == seen + 1
        seen = max([seen, *versions])
    # Every event of the stream was read, none twice.
    read_back = [v for _, versions in reads for v in versions]
    assert sorted(read_back) == sorted(set(read_back))
    assert seen == len(await original(REMINDER_STREAM))


async def test_a_reminder_whose_words_were_forgotten_is_not_sent() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("remind me in 30 minutes to call the dentist")
    await desk.lukas.forgetting.forget("U0ADA", requested_by="U0ADA", via="slack")
    desk.clock.advance(30 * 60)
    await desk.reminders.tick()
    await desk.reminders.tick()
    assert desk.dms.sent == []
    kept = await kinds(desk.world.store)
    assert kept == [ReminderSet, ReminderFiring, ReminderFailed]
