"""Projections resumed from checkpoints: a start folds only what came after the last one."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fakes.clock import FakeClock
from fakes.desk_world import make_desk_world
from fakes.instances import FakeInstances
from fakes.world import World, make_world

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.checkpoints import CheckpointError, CheckpointSpec, Saved, State
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.conversation_list import (
    CONVERSATION_LIST,
    ConversationListProjection,
)
from lukas.application.projections.projection import rebuild
from lukas.application.recovery import Recovery
from lukas.application.requests.reminders import REMINDER_BOOK
from lukas.application.stream_checkpoints import KeptStream
from lukas.application.streams import catch_up_stream, state_of
from lukas.domain.reminders import REMINDER_STREAM, REMINDERS

pytestmark = pytest.mark.anyio


class CountingStore(InMemoryEventStore):
    """Counts the events whole-log reads hand back: what folding costs."""

    read_from_log = 0

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        events = await super().read_all(from_position, until_position, limit)
        self.read_from_log += len(events)
        return events


class BrokenCheckpoints(InMemoryCheckpoints):
    async def save(self, spec: CheckpointSpec[State], saved: Saved[State]) -> None:
        raise CheckpointError("checkpoint not saved: disk full")


async def chat(count: int, world: World) -> None:
    for n in range(count):
        await world.handler.handle(world.message(f"message {n}", f"console:c{n % 3}"))


async def test_a_second_start_folds_only_what_came_after_the_checkpoint() -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    world = make_world(store=store, clock=clock)
    await chat(20, world)
    checkpoints = InMemoryCheckpoints()
    first = CheckpointedProjection(
        store, checkpoints, ConversationListProjection(), CONVERSATION_LIST
    )
    _, position = await first.current()
    await first.save()
    await chat(2, world)
    store.read_from_log = 0
    second = CheckpointedProjection(
        store, checkpoints, ConversationListProjection(), CONVERSATION_LIST
    )
    state, last = await second.current()
    assert store.read_from_log == last - position > 0
    assert state == (await rebuild(store, ConversationListProjection()))[0]


async def test_it_saves_by_itself_once_enough_was_folded() -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    await chat(5, make_world(store=store, clock=clock))
    checkpoints = InMemoryCheckpoints()
    keeper = CheckpointedProjection(
        store, checkpoints, ConversationListProjection(), CONVERSATION_LIST, save_every=1_000
    )
    await keeper.current()
    assert await checkpoints.load(CONVERSATION_LIST) is None, "saved before it was worth it"
    eager = CheckpointedProjection(
        store, checkpoints, ConversationListProjection(), CONVERSATION_LIST, save_every=10
    )
    _, position = await eager.current()
    saved = await checkpoints.load(CONVERSATION_LIST)
    assert saved is not None
    assert saved.position == position


async def test_a_checkpoint_that_cannot_be_saved_costs_only_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    await chat(5, make_world(store=store, clock=clock))
    keeper = CheckpointedProjection(
        store, BrokenCheckpoints(), ConversationListProjection(), CONVERSATION_LIST, save_every=1
    )
    with caplog.at_level(logging.INFO):
        state, _ = await keeper.current()
        await keeper.save()
    assert state == (await rebuild(store, ConversationListProjection()))[0]
    assert "disk full" in caplog.text


async def test_recovery_at_a_restart_starts_from_the_pending_work_checkpoint() -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    checkpoints = InMemoryCheckpoints()
    world = make_world(store=store, clock=clock, checkpoints=checkpoints)
    for n in range(12):
        await world.handler.handle(world.message(f"message {n}", "console:a"))
    await world.lukas.recovery.run()
    await world.lukas.recovery.keep_checkpoint()
    length = len(await store.read_all())
    world.channel.refuse_next = 1  # one reply left undelivered for the next process
    await world.handler.handle(world.message("the last one", "console:a"))
    store.read_from_log = 0
    restarted = make_world(
        store=store, clock=clock, checkpoints=checkpoints, instance_id="instance-b"
    )
    recovery = Recovery(
        store=store,
        checkpoints=checkpoints,
        handler=restarted.handler,
        inbound=restarted.lukas.inbound,
        instances=FakeInstances("instance-b"),
        clock=clock,
        max_age=timedelta(minutes=10),
    )
    report = await recovery.run()
    assert report.delivered == 1
    assert store.read_from_log < len(await store.read_all()) - length + 10


async def test_the_reminder_book_resumes_from_its_checkpoint() -> None:
    desk = await make_desk_world()
    for minutes in (5, 10, 15):
        await desk.say(f"remind me in {minutes} minutes to stretch")
    await desk.say("cancel reminder 2")
    store = desk.world.store
    checkpoints = InMemoryCheckpoints()
    first = KeptStream(checkpoints, REMINDER_BOOK, REMINDERS.initial, save_every=1)
    await catch_up_stream(store, REMINDER_STREAM, REMINDERS, await first.folded())
    await first.keep()
    second = KeptStream(checkpoints, REMINDER_BOOK, REMINDERS.initial)
    resumed = await second.folded()
    assert (resumed.state, resumed.version) == await state_of(store, REMINDER_STREAM, REMINDERS)
    assert len(resumed.state.pending_for("U0ADA")) == 2
