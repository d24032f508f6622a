"""Deliveries recorded before they are acknowledged, then read into their conversation;
what is not for Lukas, and what could not be read, recorded too."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from fakes.assistant import FakeAssistantSurface
from fakes.clock import FakeClock
from fakes.reading import fake_reading
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.assistant_threads import AssistantThreads
from lukas.application.inbox import INBOX_STREAM, MAX_ATTEMPTS, Inbox
from lukas.application.projections.pending_work import Delivery, PendingWorkProjection
from lukas.application.projections.projection import rebuild
from lukas.application.recovery import RecoveryReport
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    InboundFailed,
    InboundIgnored,
    InboundReceived,
    MessageReceived,
    ReplyDelivered,
)
from lukas.domain.persona import MISSED_APOLOGY
from lukas.domain.routing import RouteKind
from lukas.entrypoints.config import Config

pytestmark = pytest.mark.anyio

# A Wednesday, 10:00 UTC: within active hours.
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def slack_world(
    *,
    store: InMemoryEventStore | None = None,
    clock: FakeClock | None = None,
    instance_id: str = "instance-a",
    thread_probability: float = 0.0,
) -> World:
    reading, _people, _channels = fake_reading()
    clock = clock or FakeClock(NOW)
    return make_world(
        clock=clock,
        store=store,
        reading=reading,
        instance_id=instance_id,
        config=Config(thread_probability=thread_probability, reaction_probability=0.0),
    )


def dm(text: str, ts: str = "1700000100.000001", user: str = "U0ADA") -> InboundReceived:
    return InboundReceived(
        platform="slack",
        channel="D0ADA",
        ts=ts,
        thread_ts=None,
        author_id=user,
        text=text,
        is_direct=True,
        mentions_me=False,
    )


def in_channel(
    text: str, ts: str, thread_ts: str | None = None, *, mention: bool = False
) -> InboundReceived:
    return InboundReceived(
        platform="slack",
        channel="C0GEN",
        ts=ts,
        thread_ts=thread_ts,
        author_id="U0ADA",
        text=text,
        is_direct=False,
        mentions_me=mention,
    )


async def test_a_dm_is_recorded_then_read_with_its_route_and_answered() -> None:
    world = slack_world()
    inbox = world.lukas.inbox
    assert inbox is not None
    delivery = await inbox.record(dm("hello bear"))
    assert delivery is not None
    [recorded] = await world.store.read_stream(INBOX_STREAM)
    assert isinstance(recorded.event, InboundReceived)
    assert await inbox.record(dm("hello bear")) is None  # a redelivery is absorbed
    message = await inbox.settle(delivery)
    assert message is not None
    assert message.route.kind is RouteKind.ADDRESSED
    assert message.author_name == "Ada"
    said = [r for r in await world.store.read_all() if isinstance(r.event, MessageReceived)]
    assert [r.metadata.causation_id for r in said] == [delivery.event_id]
    assert await world.lukas.inbound.carry_out(message)
    assert [s.text for s in world.channel.sent] == ["echo: Ada: hello bear"]
    pending, _ = await rebuild(world.store, PendingWorkProjection())
    assert pending.inbound == {}
    assert pending.messages == {}


async def test_messages_not_for_lukas_are_recorded_as_such_with_the_reason() -> None:
    world = slack_world()
    inbox = world.lukas.inbox
    assert inbox is not None
    chatter = await inbox.record(in_channel("lunch anyone?", "1700000200.000001"))
    stranger = await inbox.record(in_channel("in a thread", "1700000200.000002", "1700000000.1"))
    assert chatter is not None
    assert stranger is not None
    assert await inbox.settle(chatter) is None
    assert await inbox.settle(stranger) is None
    ignored = [r.event for r in await world.store.read_stream(INBOX_STREAM)]
    reasons = [e.reason for e in ignored if isinstance(e, InboundIgnored)]
    assert reasons == [
        "not joined: reply: draw 0.000 >= 0.0, react: draw 0.000 >= 0.0",  # judged, recorded
        "a thread Lukas is not part of",
    ]
    assert world.model.calls == []
    pending, _ = await rebuild(world.store, PendingWorkProjection())
    assert pending.inbound == {}


async def test_a_mention_starts_a_thread_and_its_replies_follow() -> None:
    world = slack_world()
    inbox = world.lukas.inbox
    assert inbox is not None
    mention = await inbox.record(in_channel("<@ULUKAS> hi", "1700000300.000001", mention=True))
    reply = await inbox.record(in_channel("and more", "1700000300.000002", "1700000300.000001"))
    assert mention is not None
    assert reply is not None
    first = await inbox.settle(mention)
    second = await inbox.settle(reply)
    assert first is not None
    assert second is not None
    thread = ConversationKey.slack_thread("C0GEN", "1700000300.000001")
    assert first.conversation == second.conversation == thread


async def test_a_delivery_that_cannot_be_read_is_recorded_and_read_by_recovery() -> None:
    reading, people, _channels = fake_reading()
    world = make_world(clock=FakeClock(NOW), reading=reading)
    inbox = world.lukas.inbox
    assert inbox is not None
    delivery = await inbox.record(dm("are you there?"))
    assert delivery is not None
    people.failures = 1
    with pytest.raises(ConnectionError):
        await inbox.settle(delivery)
    failed = [r.event for r in await world.store.read_stream(INBOX_STREAM)]
    assert [type(e) for e in failed] == [InboundReceived, InboundFailed]
    report = await world.lukas.recovery.run()
    assert (report.read, report.answered) == (1, 1)
    assert [s.text for s in world.channel.sent] == ["echo: Ada: are you there?"]


async def test_a_delivery_that_keeps_failing_is_given_up_with_the_reason() -> None:
    reading, people, _channels = fake_reading()
    world = make_world(clock=FakeClock(NOW), reading=reading)
    inbox = world.lukas.inbox
    assert inbox is not None
    assert await inbox.record(dm("hello?")) is not None
    people.failures = MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        await world.lukas.recovery.run()
    events = [r.event for r in await world.store.read_stream(INBOX_STREAM)]
    assert [type(e) for e in events] == [InboundReceived] + [InboundFailed] * (MAX_ATTEMPTS - 1) + [
        InboundIgnored
    ]
    last = events[-1]
    assert isinstance(last, InboundIgnored)
    assert last.reason.startswith(f"given up after {MAX_ATTEMPTS} attempts")
    assert await world.lukas.recovery.run() == RecoveryReport()


async def test_a_delivery_left_unread_long_ago_gets_an_apology_not_an_answer() -> None:
    clock = FakeClock(NOW)
    before = slack_world(clock=clock, instance_id="instance-a")
    assert before.lukas.inbox is not None
    assert await before.lukas.inbox.record(dm("anyone?")) is not None  # then the process died
    clock.advance(3600)
    after = slack_world(store=before.store, clock=clock, instance_id="instance-b")
    report = await after.lukas.recovery.run()
    assert (report.read, report.apologized) == (1, 1)
    assert [s.text for s in after.channel.sent] == [MISSED_APOLOGY]
    assert after.model.calls == []
    delivered = [r for r in await after.store.read_all() if isinstance(r.event, ReplyDelivered)]
    assert len(delivered) == 1


SAID_BOTH_WAYS = [
    ("how are you today?", "addressed"),
    ("remind me in 5 minutes to stretch", "request:SetReminder"),
    ("post 'Team meeting at 3pm' to #general", "request:PostAnnouncement"),
    ("set thread probability to 0.5", "request:ChangeSetting"),
    ("draw a picture for the milestone", "request:DrawPicture"),
    ("team", "request:ShowTeam"),
    ("remind me", "request:Unclear"),  # a pointer to the help, in both
]


@pytest.mark.parametrize(("text", "route"), SAID_BOTH_WAYS)
async def test_the_same_words_take_the_same_route_in_the_console_and_in_slack(
    text: str, route: str
) -> None:
    """One way in: a console line and a Slack DM go through Inbound.record, which decides
    and records the route; the platforms differ only in how the message reached it."""
    slack = slack_world()
    assert slack.lukas.inbox is not None
    delivery = await slack.lukas.inbox.record(dm(text))
    assert delivery is not None
    from_slack = await slack.lukas.inbox.settle(delivery)
    console = make_world(clock=FakeClock(NOW))
    taken = await console.lukas.inbound.record(console.message(text))
    assert from_slack is not None
    assert from_slack.route == taken.message.route
    assert taken.message.route.describe() == route
    recorded = [
        r.event.route
        for world in (slack, console)
        for r in await world.store.read_all()
        if isinstance(r.event, MessageReceived)
    ]
    assert recorded == [from_slack.route, taken.message.route]


async def test_a_dm_in_an_assistant_thread_is_that_threads_conversation() -> None:
    world = slack_world()
    inbox = world.lukas.inbox
    assert inbox is not None
    threads = AssistantThreads(store=world.store, surface=FakeAssistantSurface(), prompts=())
    await threads.started("D0ADA", "1700000000.5", "U0ADA", "C0GEN")
    in_pane = attrs.evolve(dm("hi from the pane", "1700000100.7"), thread_ts="1700000000.5")
    elsewhere = attrs.evolve(dm("a thread in the DM", "1700000100.8"), thread_ts="1700000000.9")
    read_in_pane = await inbox.settle(await _recorded(inbox, in_pane))
    read_elsewhere = await inbox.settle(await _recorded(inbox, elsewhere))
    assert read_in_pane is not None
    assert read_elsewhere is not None
    assert read_in_pane.conversation == ConversationKey.slack_thread("D0ADA", "1700000000.5")
    assert read_elsewhere.conversation.thread is None  # the DM's session, as before


async def _recorded(inbox: Inbox, received: InboundReceived) -> Delivery:
    delivery = await inbox.record(received)
    assert delivery is not None
    return delivery
