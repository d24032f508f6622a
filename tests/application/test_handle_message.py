"""The message use case against in-memory fakes of every port."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import anyio
import anyio.lowlevel
import pytest
from fakes.chat_channel import FakeChatChannel
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.chat_model import ChatModelError, Completion, TextSink, Tool
from lukas.application.ports.event_store import AppendResult, NewEvent
from lukas.domain.context_window import ContextLimits, ContextMessage, Role
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived, ReplyDelivered, ReplyFailed, ReplyGenerated
from lukas.domain.failures import FailureKind
from lukas.domain.persona import FALLBACK_RESPONSES

pytestmark = pytest.mark.anyio


async def types_in(world: World, conversation: str = "console:test") -> list[str]:
    events = await world.store.read_stream(ConversationKey(conversation).stream_id)
    return [e.event.TYPE for e in events]


async def test_a_message_is_recorded_answered_and_delivered(world: World) -> None:
    world.model.script("Hello Ada! \U0001f43b")
    outcome = await world.handler.handle(world.message("Hi Lukas"))
    assert outcome.reply_text == "Hello Ada! \U0001f43b"
    assert outcome.delivered
    assert await types_in(world) == ["MessageReceived", "ReplyGenerated", "ReplyDelivered"]
    [sent] = world.channel.sent
    assert (sent.text, sent.in_reply_to) == ("Hello Ada! \U0001f43b", "p1")
    [call] = world.model.calls
    assert [m.role for m in call] == [Role.SYSTEM, Role.USER]


async def test_the_second_message_carries_the_first_exchange(world: World) -> None:
    await world.handler.handle(world.message("Hi Lukas"))
    await world.handler.handle(world.message("What did I say?"))
    second = world.model.calls[1]
    assert [m.role for m in second] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    assert [m.content for m in second[1:]] == [
        "Ada: Hi Lukas",
        "echo: Ada: Hi Lukas",
        "Ada: What did I say?",
    ]


async def test_events_record_tokens_usage_latency_and_the_context_size(world: World) -> None:
    world.model.script("Sure thing!")
    await world.handler.handle(world.message("one two three"))
    _, generated, delivered = await world.store.read_stream("conversation:console:test")
    message = (await world.store.read_all(until_position=1))[0].event
    assert isinstance(message, MessageReceived)
    assert message.token_count == world.counter.count("Ada: one two three")
    assert isinstance(generated.event, ReplyGenerated)
    assert generated.event.token_count == world.counter.count("Sure thing!")
    assert generated.event.context_tokens == sum(m.tokens for m in world.model.calls[0])
    assert generated.event.usage is not None
    assert generated.metadata.causation_id == generated.metadata.correlation_id
    assert isinstance(delivered.event, ReplyDelivered)
    assert delivered.event.platform_message_id == "posted-1"


async def test_the_message_is_an_event_before_the_model_is_called() -> None:
    seen: list[list[str]] = []

    class Inspecting(FakeChatModel):
        async def complete(
            self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
        ) -> Completion:
            seen.append(await types_in(world))
            return await super().complete(messages, tools)

    world = make_world(model=Inspecting())
    await world.handler.handle(world.message("Hi"))
    assert seen == [["MessageReceived"]]


async def test_a_duplicate_delivery_is_answered_once(world: World) -> None:
    message = world.message("Hi")
    first = await world.handler.handle(message)
    again = await world.handler.handle(message)
    assert not first.duplicate
    assert again.duplicate
    assert len(world.model.calls) == 1
    assert len(world.channel.sent) == 1
    assert await types_in(world) == ["MessageReceived", "ReplyGenerated", "ReplyDelivered"]


async def test_answering_an_answered_message_again_does_nothing(world: World) -> None:
    message = world.message("Hi")
    outcome = await world.handler.handle(message)
    again = await world.handler.answer(message.conversation, outcome.message_id, "p1")
    assert again.duplicate
    assert len(world.channel.sent) == 1


async def test_a_model_failure_sends_a_fallback_and_records_why(world: World) -> None:
    world.model.script(ChatModelError(FailureKind.RATE_LIMIT, "429 slow down", attempts=3))
    outcome = await world.handler.handle(world.message("Hi"))
    assert outcome.failure is FailureKind.RATE_LIMIT
    assert outcome.reply_text in FALLBACK_RESPONSES
    events = await world.store.read_stream("conversation:console:test")
    failed = events[1].event
    assert isinstance(failed, ReplyFailed)
    assert (failed.kind, failed.detail, failed.attempts) == (
        FailureKind.RATE_LIMIT,
        "429 slow down",
        3,
    )
    assert failed.fallback_text == world.channel.sent[0].text
    assert isinstance(events[2].event, ReplyDelivered)


async def test_fallbacks_never_repeat_back_to_back() -> None:
    world = make_world(draws=[0.0])  # the draw alone would pick the first phrase every time
    for _ in range(6):
        world.model.script(ChatModelError(FailureKind.PROVIDER, "500"))
        await world.handler.handle(world.message("Hi"))
    texts = [sent.text for sent in world.channel.sent]
    assert all(a != b for a, b in itertools.pairwise(texts))


async def test_an_empty_reply_is_a_failure(world: World) -> None:
    world.model.script("   \n")
    outcome = await world.handler.handle(world.message("Hi"))
    assert outcome.failure is FailureKind.EMPTY_REPLY
    assert outcome.reply_text in FALLBACK_RESPONSES


async def test_a_message_too_long_for_the_window_gets_a_clear_answer_without_a_model_call() -> None:
    world = make_world(limits=ContextLimits(max_tokens=4000))
    outcome = await world.handler.handle(world.message("word " * 50_000))
    assert world.model.calls == []
    assert outcome.failure is FailureKind.MESSAGE_TOO_LONG
    assert outcome.reply_text is not None
    assert f"{50_000 + world.counter.count('Ada: ')} tokens" in outcome.reply_text
    message = (await world.store.read_all(until_position=1))[0].event
    assert isinstance(message, MessageReceived)
    assert len(message.text) == 250_000  # kept whole: nothing said is lost


async def test_an_undelivered_reply_stays_recorded(world: World) -> None:
    world.channel.refuse_next = 1
    outcome = await world.handler.handle(world.message("Hi"))
    assert not outcome.delivered
    assert await types_in(world) == ["MessageReceived", "ReplyGenerated"]


async def test_conversations_run_at_once_and_each_keeps_its_order() -> None:
    active, most_active = 0, 0

    class Slow(FakeChatModel):
        async def complete(
            self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
        ) -> Completion:
            nonlocal active, most_active
            active += 1
            most_active = max(most_active, active)
            await anyio.sleep(0.05)
            active -= 1
            return await super().complete(messages, tools)

    world = make_world(model=Slow())
    messages = [world.message(f"{c}{n}", f"console:{c}") for n in range(3) for c in "ab"]
    async with anyio.create_task_group() as group:
        for message in messages:
            group.start_soon(world.handler.handle, message)
            await anyio.lowlevel.checkpoint()  # let each start in the order it arrived
    assert most_active == 2
    for c in "ab":
        sent = [s.text for s in world.channel.sent if s.conversation.value == f"console:{c}"]
        assert sent == [f"echo: Ada: {c}{n}" for n in range(3)]


async def test_two_messages_at_once_in_one_conversation_keep_the_order_they_came_in() -> None:
    # The first message's append waits inside the store (as the sealing store does when it
    # asks the key store, after a quiet second, whether keys were deleted); the second,
    # started just after it, must not be recorded, nor answered, before it.
    class FirstAppendWaits(InMemoryEventStore):
        waited = False

        async def append(
            self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
        ) -> AppendResult:
            if not self.waited:
                self.waited = True
                for _ in range(10):
                    await anyio.lowlevel.checkpoint()
            return await super().append(stream_id, events, expected_version)

    clock = FakeClock()
    world = make_world(store=FirstAppendWaits(clock), clock=clock)
    first, second = world.message("first"), world.message("second")
    async with anyio.create_task_group() as group:
        group.start_soon(world.handler.handle, first)
        await anyio.lowlevel.checkpoint()
        group.start_soon(world.handler.handle, second)
    events = await world.store.read_stream(first.conversation.stream_id)
    said = [e.event.text for e in events if isinstance(e.event, MessageReceived)]
    assert said == ["first", "second"]
    assert [s.in_reply_to for s in world.channel.sent] == [
        first.platform_message_id,
        second.platform_message_id,
    ]


@pytest.mark.parametrize("streams", [False, True], ids=["posted", "streamed"])
async def test_the_model_is_asked_while_the_thinking_sign_goes_up(streams: bool) -> None:
    # On Slack the sign is an API round trip (a reaction, a status): the model's first
    # words must not wait for it, and it comes down only after it went up.
    model_called = anyio.Event()

    class SlowSign(FakeChatChannel):
        signs_put_up = 0

        async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
            await model_called.wait()  # held up until the model has been asked
            await super().show_thinking(conversation, in_reply_to)
            self.signs_put_up += 1

    class Noting(FakeChatModel):
        async def complete(
            self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
        ) -> Completion:
            model_called.set()
            return await super().complete(messages, tools)

        async def stream(
            self,
            messages: Sequence[ContextMessage],
            tools: Sequence[Tool] = (),
            *,
            on_text: TextSink,
        ) -> Completion:
            model_called.set()
            return await super().stream(messages, tools, on_text=on_text)

    channel = SlowSign(streams=streams)
    world = make_world(model=Noting(), channel=channel)
    with anyio.fail_after(5):
        outcome = await world.handler.handle(world.message("Hi"))
    assert outcome.delivered
    assert channel.signs_put_up == 1
    assert channel.thinking == []  # taken down again


async def test_a_model_crashing_is_raised_as_itself_and_the_sign_comes_down() -> None:
    class Crashing(FakeChatModel):
        async def complete(
            self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
        ) -> Completion:
            raise RuntimeError("a bug in the adapter")

    class Signs(FakeChatChannel):
        put_up = 0

        async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
            await super().show_thinking(conversation, in_reply_to)
            self.put_up += 1

    channel = Signs()
    world = make_world(model=Crashing(), channel=channel)
    with pytest.raises(RuntimeError, match="a bug in the adapter"):
        await world.handler.handle(world.message("Hi"))
    assert channel.put_up == 1
    assert channel.thinking == []  # taken down again
