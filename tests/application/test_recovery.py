"""After a crash: each unanswered message answered once, each undelivered reply delivered once."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from fakes.clock import FakeClock
from fakes.desk_world import make_desk_world
from fakes.instances import FakeInstances
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.handle_message import IncomingMessage
from lukas.application.ports.event_store import EventMetadata, NewEvent, RecordedEvent
from lukas.application.recovery import Recovery, RecoveryReport, recover
from lukas.application.requests.tools import REQUEST_TOOLS
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DeliveryClaimed, EngagementDecided, ReplyFailed
from lukas.domain.failures import FailureKind
from lukas.domain.persona import MISSED_APOLOGY

pytestmark = pytest.mark.anyio

TEN_MINUTES = timedelta(minutes=10)


async def restart(
    world: World, me: str = "instance-b", alive: tuple[str, ...] = ()
) -> RecoveryReport:
    return await recover(
        store=world.store,
        handler=world.handler,
        instances=FakeInstances(me=me, alive=alive),
        clock=world.clock,
        max_age=TEN_MINUTES,
    )


def crashed_world() -> tuple[World, InMemoryEventStore, FakeClock]:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    return make_world(store=store, clock=clock, instance_id="instance-a"), store, clock


async def test_an_unanswered_message_is_answered_once_after_a_restart() -> None:
    before, store, clock = crashed_world()
    await before.handler.receive(before.message("Are you there?"))  # then the process died
    clock.advance(60)
    after = make_world(store=store, clock=clock, instance_id="instance-b")
    after.model.script("I'm back!")
    assert (await restart(after)).answered == 1
    assert [s.text for s in after.channel.sent] == ["I'm back!"]
    assert await restart(after) == RecoveryReport()
    assert len(after.channel.sent) == 1


async def test_an_old_unanswered_message_gets_an_apology() -> None:
    before, store, clock = crashed_world()
    await before.handler.receive(before.message("Hello?"))
    clock.advance(11 * 60)
    after = make_world(store=store, clock=clock, instance_id="instance-b")
    assert (await restart(after)).apologized == 1
    assert [s.text for s in after.channel.sent] == [MISSED_APOLOGY]
    assert after.model.calls == []
    failed = [e.event for e in await store.read_all() if isinstance(e.event, ReplyFailed)]
    assert [f.kind for f in failed] == [FailureKind.MISSED]


async def test_a_generated_but_undelivered_reply_is_delivered_once() -> None:
    before, store, clock = crashed_world()
    before.model.script("Here you go")
    before.channel.refuse_next = 1  # the platform went away mid-delivery
    await before.handler.handle(before.message("Help?"))
    after = make_world(store=store, clock=clock, instance_id="instance-b")
    assert (await restart(after)).delivered == 1
    assert [s.text for s in after.channel.sent] == ["Here you go"]
    assert after.model.calls == []  # never answered again
    assert await restart(after) == RecoveryReport()
    types = [e.event.TYPE for e in await store.read_all()]
    assert types == ["MessageReceived", "ReplyGenerated", "DeliveryClaimed", "ReplyDelivered"]


async def test_work_of_a_running_instance_is_left_to_it() -> None:
    before, store, clock = crashed_world()
    await before.handler.receive(before.message("Still being answered"))
    other = make_world(store=store, clock=clock, instance_id="instance-b")
    report = await restart(other, alive=("instance-a",))
    assert report == RecoveryReport(left_to_others=1)
    assert other.channel.sent == []


async def test_two_instances_recovering_together_deliver_once() -> None:
    before, store, clock = crashed_world()
    before.channel.refuse_next = 1
    await before.handler.handle(before.message("Help?"))
    await before.handler.receive(before.message("And this?"))
    worlds = [make_world(store=store, clock=clock, instance_id=f"i{n}") for n in range(2)]
    async with anyio.create_task_group() as group:
        for n, world in enumerate(worlds):
            group.start_soon(restart, world, f"i{n}")
    sent = [s.text for world in worlds for s in world.channel.sent]
    assert sorted(sent) == sorted(["echo: Ada: Help?", "echo: Ada: And this?"])
    claims = [e for e in await store.read_all() if isinstance(e.event, DeliveryClaimed)]
    assert len(claims) == 1


async def test_a_claim_by_an_instance_that_died_is_taken_over() -> None:
    before, store, clock = crashed_world()
    before.channel.refuse_next = 1
    await before.handler.handle(before.message("Help?"))
    claimer = make_world(store=store, clock=clock, instance_id="instance-b")
    claimer.channel.refuse_next = 1  # b claims, then dies before delivering
    await restart(claimer)
    last = make_world(store=store, clock=clock, instance_id="instance-c")
    assert (await restart(last, me="instance-c")).delivered == 1
    assert [s.text for s in last.channel.sent] == ["echo: Ada: Help?"]


class CountingStore(InMemoryEventStore):
    """Counts the events handed out by global reads: what a recovery folds."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.folded = 0

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        read = await super().read_all(from_position, until_position, limit)
        self.folded += len(read)
        return read


async def test_a_recovery_kept_for_the_run_folds_only_what_is_new_and_misses_nothing() -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    lukas = make_world(store=store, clock=clock, instance_id="instance-b")
    for n in range(5):
        await lukas.handler.handle(lukas.message(f"message {n}"))
    recovery = Recovery(
        store=store,
        handler=lukas.handler,
        instances=FakeInstances(me="instance-b"),
        clock=clock,
        max_age=TEN_MINUTES,
    )
    assert await recovery.run() == RecoveryReport()
    everything = store.folded
    assert everything == len(await store.read_all())  # the whole log, once
    store.folded = 0
    assert await recovery.run() == RecoveryReport()
    assert store.folded == 0
    # A process that died with a message unanswered, after the last run.
    dead = make_world(store=store, clock=clock, instance_id="instance-a")
    await dead.handler.receive(dead.message("Anyone?", conversation="console:other"))
    store.folded = 0
    lukas.model.script("Here!")
    assert (await recovery.run()).answered == 1
    assert store.folded == 1  # just the new message
    assert lukas.channel.sent[-1].text == "Here!"


async def test_recovery_keeps_a_thread_joined_unasked_free_of_requests() -> None:
    desk = await make_desk_world()
    world = desk.world
    judge_stream = "engagement:C0GEN:1700000900.000100"
    decided = EngagementDecided(
        channel="C0GEN",
        ts="1700000900.000100",
        thread_probability=1.0,
        thread_draw=0.0,
        reply=True,
        reaction_probability=0.0,
        reaction_draw=0.5,
        reaction=None,
        reason="reply: draw 0.000 < 1.0",
    )
    await world.store.append(judge_stream, [NewEvent("j", decided, EventMetadata("j"))], 0)
    unasked = IncomingMessage(
        conversation=ConversationKey.slack_thread("C0GEN", "1700000900.000100"),
        author_id="U0ADA",
        author_name="Ada",
        text="remind me in 5 minutes to celebrate",
        platform_message_id="1700000900.000100",
        unasked=True,
    )
    dead = make_world(store=world.store, clock=world.clock, instance_id="instance-a")
    await dead.handler.receive(unasked)  # then that process died
    asked = desk.message("how are you?")
    await dead.handler.receive(asked)
    report = await recover(
        store=world.store,
        handler=world.handler,
        instances=FakeInstances(me="instance-b"),
        clock=world.clock,
        max_age=TEN_MINUTES,
    )
    assert report.answered == 2
    offers = [{tool.name for tool in offer} for offer in world.model.tool_offers]
    assert sorted(len(names) for names in offers) == [0, len(REQUEST_TOOLS)]
