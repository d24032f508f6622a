"""Replies written into the platform as the model writes them, and recorded honestly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import anyio
import pytest
from fakes.chat_channel import FakeChatChannel
from fakes.chat_model import FakeChatModel, FakeReply
from fakes.clock import FakeClock
from fakes.instances import FakeInstances
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.chat_channel import Rateable
from lukas.application.ports.chat_model import ChatModelError, Completion, TextSink, Tool, ToolCall
from lukas.application.recovery import Recovery
from lukas.domain.context_window import ContextMessage
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DomainEvent,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    ReplyStreamClosed,
    ReplyStreamStarted,
)
from lukas.domain.failures import FailureKind
from lukas.domain.persona import STREAM_CUT_APOLOGY, STREAM_CUT_NOTE

pytestmark = pytest.mark.anyio

THREAD = "slack-thread:C1:100.1"


def streaming_world(model: FakeChatModel | None = None, **options: object) -> World:
    return make_world(model=model, channel=FakeChatChannel(streams=True), **options)  # type: ignore[arg-type]


async def events_of(world: World) -> list[DomainEvent]:
    return [recorded.event for recorded in await world.store.read_all()]


def kinds(events: Sequence[DomainEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


async def test_a_streamed_reply_arrives_in_pieces_that_join_into_the_recorded_text() -> None:
    text = "Hello Ada, honey is the answer to most questions."
    world = streaming_world(FakeChatModel(FakeReply(text, pieces=("Hello ", "Ada, ", text[11:]))))
    world.model.script()
    outcome = await world.handler.handle(world.message("Hi", THREAD))

    [stream] = world.channel.streams.values()
    assert outcome.delivered
    assert outcome.reply_text == text
    assert stream.stopped
    assert stream.feedback == Rateable(reply_to=outcome.message_id, model="fake:scripted")
    assert stream.text == text  # what Slack shows is exactly what was recorded
    assert stream.recipient == "U1"
    assert world.channel.sent == []  # nothing posted whole besides
    events = await events_of(world)
    assert kinds(events) == [
        "MessageReceived",
        "ReplyStreamStarted",
        "ReplyGenerated",
        "ReplyDelivered",
    ]
    reply, delivered = events[2], events[3]
    assert isinstance(reply, ReplyGenerated)
    assert reply.text == text
    assert reply.first_text_ms is not None
    assert isinstance(delivered, ReplyDelivered)
    assert delivered.platform_message_id == next(iter(world.channel.streams))


async def test_the_stream_is_recorded_before_any_text_reaches_the_platform() -> None:
    seen_at_first_piece: list[list[str]] = []

    class Watching(FakeChatChannel):
        async def append_stream(
            self, conversation: ConversationKey, stream_id: str, text: str
        ) -> None:
            if not seen_at_first_piece:
                seen_at_first_piece.append(kinds(await events_of(world)))
            await super().append_stream(conversation, stream_id, text)

    world = make_world(channel=Watching(streams=True))
    world.model.script("One two three")
    await world.handler.handle(world.message("Hi", THREAD))
    assert seen_at_first_piece == [["MessageReceived", "ReplyStreamStarted"]]


async def test_a_model_failing_mid_reply_keeps_its_words_and_apologises_once() -> None:
    error = ChatModelError(FailureKind.CONNECTION, "the connection dropped")
    model = FakeChatModel(FakeReply("", pieces=("Well, ", "the thing is"), fails_after=error))
    world = streaming_world(model)
    outcome = await world.handler.handle(world.message("Why?", THREAD))

    [stream] = world.channel.streams.values()
    expected = f"Well, the thing is\n\n{STREAM_CUT_APOLOGY}"
    assert stream.text == expected
    assert stream.stopped
    assert not stream.feedback
    assert outcome.failure is FailureKind.CONNECTION
    assert outcome.delivered
    assert len(model.calls) == 1  # no silent second answer
    failed = [event for event in await events_of(world) if isinstance(event, ReplyFailed)]
    assert len(failed) == 1
    assert failed[0].fallback_text == expected
    assert "cut off after 18 characters" in failed[0].detail


async def test_a_failure_before_any_text_posts_the_fallback_whole() -> None:
    world = streaming_world(FakeChatModel(ChatModelError(FailureKind.PROVIDER, "500")))
    outcome = await world.handler.handle(world.message("Hi", THREAD))
    assert world.channel.streams == {}
    assert [sent.text for sent in world.channel.sent] == [outcome.reply_text]
    assert world.channel.sent[0].feedback is None  # a fallback is not the model's to rate


async def test_a_platform_that_will_not_open_a_stream_gets_the_reply_whole() -> None:
    world = streaming_world()
    world.channel.refuse_streams = 1
    world.model.script("Whole then")
    outcome = await world.handler.handle(world.message("Hi", THREAD))
    rateable = Rateable(reply_to=outcome.message_id, model="fake:scripted")
    assert outcome.delivered
    assert [(sent.text, sent.feedback) for sent in world.channel.sent] == [("Whole then", rateable)]
    assert "ReplyStreamStarted" not in kinds(await events_of(world))


async def test_a_stream_the_platform_stops_taking_is_finished_with_the_rest() -> None:
    class Flaky(FakeChatChannel):
        appends = 0

        async def append_stream(
            self, conversation: ConversationKey, stream_id: str, text: str
        ) -> None:
            self.appends += 1
            if self.appends == 2:
                self.refuse_streams = 1
            await super().append_stream(conversation, stream_id, text)

    world = make_world(channel=Flaky(streams=True))
    text = "one two three four five"
    world.model.script(FakeReply(text, pieces=("one ", "two ", "three ", "four ", "five")))
    outcome = await world.handler.handle(world.message("Count", THREAD))
    [stream] = world.channel.streams.values()
    assert outcome.delivered
    assert stream.stopped
    assert stream.text == text  # the refused piece and the rest came with the close


async def test_a_request_the_model_chooses_after_speaking_follows_its_words() -> None:
    call = ToolCall(name="list_reminders", arguments={})
    model = FakeChatModel(FakeReply("Let me look.", tool_calls=(call,)))
    world = streaming_world(model)
    outcome = await world.handler.handle(world.message("my reminders?", THREAD))
    [stream] = world.channel.streams.values()
    assert outcome.reply_text is not None
    assert outcome.reply_text.startswith("Let me look.\n\n")
    assert stream.text == outcome.reply_text
    assert stream.feedback is None  # what a request said is not the model's writing


def recovery_of(world: World) -> Recovery:
    """The recovery a restarted process (instance-b) runs, the earlier one being dead."""
    return Recovery(
        store=world.store,
        checkpoints=world.checkpoints,
        handler=world.handler,
        inbound=world.lukas.inbound,
        instances=FakeInstances(me="instance-b", alive=()),
        clock=world.clock,
        max_age=timedelta(minutes=10),
    )


class Hanging:
    """Streams a few pieces, then waits for ever: the process dies mid-reply."""

    def __init__(self) -> None:
        self.pieces_sent = anyio.Event()

    @property
    def name(self) -> str:
        return "fake:hanging"

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        raise AssertionError("only streamed here")

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        await on_text("I was just ")
        await on_text("saying that")
        self.pieces_sent.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


async def test_a_stream_cut_by_a_dead_process_is_closed_and_the_message_answered_once() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    channel = FakeChatChannel(streams=True)
    hanging = Hanging()
    before = make_world(store=store, clock=clock, channel=channel, model=hanging)
    message = before.message("Tell me", THREAD)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(before.handler.handle, message)
        with anyio.fail_after(5):
            await hanging.pieces_sent.wait()
            await channel.first_piece.wait()
        tasks.cancel_scope.cancel()  # the process is killed mid-stream

    [cut_id] = channel.streams
    assert not channel.streams[cut_id].stopped
    clock.advance(30)
    after = make_world(store=store, clock=clock, channel=channel, instance_id="instance-b")
    after.model.script("The whole answer, at last.")
    recovery = recovery_of(after)
    report = await recovery.run()
    assert report.answered == 1

    cut = channel.streams[cut_id]
    assert cut.stopped
    assert cut.text.endswith(STREAM_CUT_NOTE)
    assert not cut.feedback
    answers = [s for sid, s in channel.streams.items() if sid != cut_id]
    assert [(a.text, a.stopped) for a in answers] == [("The whole answer, at last.", True)]
    assert answers[0].feedback is not None
    events = await events_of(after)
    assert kinds(events).count("ReplyGenerated") == 1
    assert kinds(events).count("ReplyDelivered") == 1
    closed = [e for e in events if isinstance(e, ReplyStreamClosed)]
    assert [c.platform_message_id for c in closed] == [cut_id]
    # A second recovery finds nothing left to do.
    assert (await recovery.run()).total == 0


async def test_a_stream_closed_after_its_reply_was_recorded_counts_as_delivered() -> None:
    """The writer recorded the reply and closed the stream, then died before recording the
    delivery: recovery finds the stream closed and records it as delivered, no second post."""
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    channel = FakeChatChannel(streams=True)
    before = make_world(store=store, clock=clock, channel=channel)
    before.model.script("Done and dusted")
    channel.refuse_next = 1  # the close "fails" as the process dies: the stream is closed below
    await before.handler.handle(before.message("Hi", THREAD))
    [stream_id] = channel.streams
    channel.streams[stream_id].stopped = True

    after = make_world(store=store, clock=clock, channel=channel, instance_id="instance-b")
    recovery = recovery_of(after)
    report = await recovery.run()
    assert report.delivered == 1
    assert channel.sent == []
    assert len(channel.streams) == 1
    delivered = [e for e in await events_of(after) if isinstance(e, ReplyDelivered)]
    assert [d.platform_message_id for d in delivered] == [stream_id]


async def test_replies_outside_a_streaming_place_are_posted_whole_as_before() -> None:
    world = make_world()  # a channel that streams nowhere
    world.model.script("Plain")
    outcome = await world.handler.handle(world.message("Hi"))
    rateable = Rateable(reply_to=outcome.message_id, model="fake:scripted")
    assert [(s.text, s.feedback) for s in world.channel.sent] == [("Plain", rateable)]
    events = await events_of(world)
    assert not any(isinstance(e, ReplyStreamStarted) for e in events)
    assert isinstance(events[0], MessageReceived)
