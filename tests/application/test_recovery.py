"""After a crash: each unanswered message answered once, each undelivered reply delivered once."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from fakes.chat_channel import Sent
from fakes.clock import FakeClock
from fakes.desk_world import NOW, make_desk_world
from fakes.instances import FakeInstances
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.handle_message import IncomingMessage
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.recovery import Recovery, RecoveryReport
from lukas.application.requests.tools import REQUEST_TOOLS
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DeliveryClaimed, ReplyDelivered, ReplyFailed
from lukas.domain.failures import FailureKind
from lukas.domain.persona import MISSED_APOLOGY

pytestmark = pytest.mark.anyio

TEN_MINUTES = timedelta(minutes=10)


async def restart(
    world: World, me: str = "instance-b", alive: tuple[str, ...] = ()
) -> RecoveryReport:
    return await recovery_of(world, FakeInstances(me=me, alive=alive)).run()


def recovery_of(world: World, instances: FakeInstances) -> Recovery:
    """A new process's recovery: the world's use cases, run as instance `instances.me`."""
    return Recovery(
        store=world.store,
        checkpoints=world.checkpoints,
        handler=world.handler,
        inbound=world.lukas.inbound,
        instances=instances,
        clock=world.clock,
        max_age=TEN_MINUTES,
    )


def crashed_world() -> tuple[World, InMemoryEventStore, FakeClock]:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    return make_world(store=store, clock=clock, instance_id="instance-a"), store, clock


async def test_an_unanswered_message_is_answered_once_after_a_restart() -> None:
    before, store, clock = crashed_world()
    await before.lukas.inbound.record(before.message("Are you there?"))  # then the process died
    clock.advance(60)
    after = make_world(store=store, clock=clock, instance_id="instance-b")
    after.model.script("I'm back!")
    assert (await restart(after)).answered == 1
    assert [s.text for s in after.channel.sent] == ["I'm back!"]
    assert await restart(after) == RecoveryReport()
    assert len(after.channel.sent) == 1


async def test_an_old_unanswered_message_gets_an_apology() -> None:
    before, store, clock = crashed_world()
    await before.lukas.inbound.record(before.message("Hello?"))
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


async def test_a_reply_posted_just_before_a_kill_is_found_not_posted_again() -> None:
    before, store, clock = crashed_world()
    platform = before.channel  # what the people see, across both processes
    before.model.script("Here you go")
    platform.refuse_next = 1
    outcome = await before.handler.handle(before.message("Help?"))
    # It was posted after all; the process died before recording the delivery.
    platform.sent.append(Sent(ConversationKey("console:test"), "p1", "Here you go"))
    after = make_world(store=store, clock=clock, instance_id="instance-b", channel=platform)
    assert (await restart(after)).delivered == 1
    assert [s.text for s in platform.sent] == ["Here you go"]  # not twice
    delivered = [e.event for e in await store.read_all() if isinstance(e.event, ReplyDelivered)]
    assert [(d.reply_to, d.platform_message_id) for d in delivered] == [
        (outcome.message_id, "posted-1")
    ]


async def test_work_of_a_running_instance_is_left_to_it() -> None:
    before, store, clock = crashed_world()
    await before.lukas.inbound.record(before.message("Still being answered"))
    other = make_world(store=store, clock=clock, instance_id="instance-b")
    report = await restart(other, alive=("instance-a",))
    assert report == RecoveryReport(left_to_others=1)
    assert other.channel.sent == []


async def test_two_instances_recovering_together_deliver_once() -> None:
    before, store, clock = crashed_world()
    before.channel.refuse_next = 1
    await before.handler.handle(before.message("Help?"))
    await before.lukas.inbound.record(before.message("And this?"))
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
    recovery = recovery_of(lukas, FakeInstances(me="instance-b"))
    assert await recovery.run() == RecoveryReport()
    everything = store.folded
    assert everything == len(await store.read_all())  # the whole log, once
    store.folded = 0
    assert await recovery.run() == RecoveryReport()
    assert store.folded == 0
    # A process that died with a message unanswered, after the last run.
    dead = make_world(store=store, clock=clock, instance_id="instance-a")
    await dead.lukas.inbound.record(dead.message("Anyone?", conversation="console:other"))
    store.folded = 0
    lukas.model.script("Here!")
    assert (await recovery.run()).answered == 1
    assert store.folded == 1  # just the new message
    assert lukas.channel.sent[-1].text == "Here!"


async def test_recovery_carries_out_the_recorded_route() -> None:
    """A thread Lukas joined unasked stays free of requests, a request is carried out
    without the model, and conversation said to him is answered with the tools offered."""
    desk = await make_desk_world()
    world = desk.world
    unasked = IncomingMessage(
        conversation=ConversationKey.slack_thread("C0GEN", "1700000900.000100"),
        author_id="U0ADA",
        author_name="Ada",
        text="remind me in 5 minutes to celebrate",
        platform_message_id="1700000900.000100",
        unasked=True,
    )
    dead = make_world(store=world.store, clock=world.clock, instance_id="instance-a")
    await dead.lukas.inbound.record(unasked)  # then that process died
    await dead.lukas.inbound.record(desk.message("how are you?"))
    await dead.lukas.inbound.record(desk.message("remind me in 5 minutes to stretch"))
    world.clock.advance(60)  # the request is carried out as read then, not now
    report = await recovery_of(world, FakeInstances(me="instance-b")).run()
    assert report.answered == 3
    offers = [{tool.name for tool in offer} for offer in world.model.tool_offers]
    assert sorted(len(names) for names in offers) == [0, len(REQUEST_TOOLS)]
    [reminder] = await desk.reminders.pending_for("U0ADA")
    assert reminder.set.text == "stretch"
    assert reminder.due == NOW + timedelta(minutes=5)
