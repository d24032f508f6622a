"""The handler keeps what it knows of each conversation: a reply reads nothing it already
knows, a rival writer's events are read once, and the model is sent what the whole stream
would give."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest
from fakes.clock import FakeClock
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.active_conversations import ActiveConversations
from lukas.application.context import ContextBuilder
from lukas.application.handle_message import IncomingMessage
from lukas.application.known_conversation import KnownConversation
from lukas.application.ports.chat_model import ChatModelError
from lukas.application.ports.event_store import AppendResult, NewEvent, RecordedEvent
from lukas.application.projections.conversation_history import history_from
from lukas.domain.context_window import ContextLimits, ContextMessage, Role
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import CheckInOpened
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route

pytestmark = pytest.mark.anyio

A = ConversationKey("console:a")


class RecordingStore(InMemoryEventStore):
    """The in-memory store, noting each call: what it was and how many events it read."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.calls: list[tuple[str, int]] = []  # (what, events read or appended)

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        try:
            result = await super().append(stream_id, events, expected_version)
        except Exception:
            self.calls.append(("append refused", 0))
            raise
        self.calls.append(("append", result.appended))
        return result

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        events = await super().read_stream(stream_id, from_version)
        self.calls.append((f"read from {from_version}", len(events)))
        return events

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        events = await super().read_stream_tail(stream_id, count)
        self.calls.append((f"tail of {count}", len(events)))
        return events

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        events = await super().read_all(from_position, until_position, limit)
        self.calls.append(("read all", len(events)))
        return events


def recorded_world(
    store: RecordingStore | None = None,
    instance_id: str = "instance-a",
    limits: ContextLimits | None = None,
) -> tuple[World, RecordingStore]:
    clock = FakeClock()
    store = store or RecordingStore(clock)
    return make_world(limits, store=store, clock=clock, instance_id=instance_id), store


def said(world: World, text: str, platform_id: str, conversation: str = A.value) -> IncomingMessage:
    return attrs.evolve(world.message(text, conversation), platform_message_id=platform_id)


async def expected_window(world: World, message_id: str) -> tuple[ContextMessage, ...]:
    """What the model is sent for `message_id`, built from every event of its stream."""
    builder: ContextBuilder = world.handler._context
    whole = history_from(await world.store.read_stream(A.stream_id))
    return builder.build(whole, message_id).messages


async def test_a_second_message_reads_nothing_between_the_appends() -> None:
    world, store = recorded_world()
    await world.handler.handle(said(world, "Hi Lukas", "p1"))
    assert store.calls[0] == ("tail of 36", 0)  # the first time: the conversation is read
    store.calls.clear()
    outcome = await world.handler.handle(said(world, "What did I say?", "p2"))
    assert outcome.delivered
    # Message, reply, delivery: three appends and not one read.
    assert store.calls == [("append", 1)] * 3
    assert world.model.calls[1] == await expected_window(world, outcome.message_id)


async def test_a_rival_writers_events_are_caught_up_from_the_known_version() -> None:
    first, store = recorded_world()
    second, _ = recorded_world(store, instance_id="instance-b")
    await first.handler.handle(said(first, "I'm Ada", "p1"))
    await second.handler.handle(said(second, "And I'm Bob", "p2"))  # another process
    store.calls.clear()
    outcome = await first.handler.handle(said(first, "Who are we?", "p3"))
    # The message's append finds the stream moved on; only the rival's three events are
    # read, from the version after the last one this process knew.
    assert store.calls == [
        ("append refused", 0),
        ("read from 4", 3),
        ("append", 1),
        ("append", 1),
        ("append", 1),
    ]
    window = first.model.calls[-1]
    assert "Ada: And I'm Bob" in [m.content for m in window]
    assert window == await expected_window(first, outcome.message_id)


async def test_the_model_is_sent_what_the_whole_stream_gives() -> None:
    # Tight limits and many turns, so the kept turns are trimmed and the budget drops some.
    world, _ = recorded_world(limits=ContextLimits(max_pairs=3, max_tokens=400))
    undelivered: set[str] = set()
    for n in range(30):
        if n % 4 == 1:
            world.model.script(ChatModelError(FailureKind.PROVIDER, "500"))
        world.channel.refuse_next = int(n % 5 == 2)
        text = "a long message " * (n % 6) + f"number {n}"
        outcome = await world.handler.handle(said(world, text, f"p{n}"))
        assert world.model.calls[-1] == await expected_window(world, outcome.message_id), n
        undelivered.update(set() if outcome.delivered else {outcome.message_id})
    # The state kept does not grow with the conversation: beyond the turns kept it holds
    # only the messages still to be delivered.
    known = await world.handler._conversations.recall(A)
    assert len(known.turns) == 8
    turns = {turn.message_id for turn in known.turns}
    assert known.state.answered == turns | undelivered


async def test_a_message_older_than_the_turns_kept_is_read_back_to() -> None:
    world, store = recorded_world(limits=ContextLimits(max_pairs=2))
    await world.handler.handle(said(world, "first", "p0"))
    ids = [
        (await world.handler.receive(said(world, f"waiting {n}", f"w{n}"), Route.addressed()))[0]
        for n in range(30)
    ]
    store.calls.clear()
    outcome = await world.handler.answer(A, ids[0], "w0")
    assert outcome.delivered
    # Not among the 6 turns kept: first what another process may have added, then the
    # tail twice as far back as usual (12 events), then twice as far again, which reaches.
    assert store.calls[:3] == [("read from 34", 0), ("tail of 24", 24), ("tail of 48", 33)]
    assert store.calls[3:] == [("append", 1)] * 2
    assert world.model.calls[-1] == await expected_window(world, ids[0])
    store.calls.clear()
    await world.handler.answer(A, ids[-1], "w29")  # the newest: kept, nothing read
    assert [what for what, _ in store.calls] == ["append"] * 2


async def test_the_turns_kept_are_the_ones_history_from_gives() -> None:
    world, store = recorded_world()
    opened = CheckInOpened(
        member_id="U1", text="How is it going?", platform_message_id="c1", token_count=5
    )
    await store.append(A.stream_id, [NewEvent("opened", opened, world.handler._metadata("c"))], 0)
    for n in range(20):
        if n % 3 == 0:
            world.model.script(ChatModelError(FailureKind.PROVIDER, "500"))
        await world.handler.handle(said(world, f"message {n}", f"p{n}"))
    events = await store.read_stream(A.stream_id)
    whole = [(e.message_id, e.exchange) for e in history_from(events)]
    for cut in range(len(events)):
        known = KnownConversation.read_from(events[cut:], keep=len(events))
        assert [(t.message_id, t.exchange) for t in known.turns] == whole[
            len(whole) - len(known.turns) :
        ]
        assert known.whole_history == (cut == 0)
    kept = KnownConversation.read_from(events, keep=5)
    assert [(t.message_id, t.exchange) for t in kept.turns] == whole[-5:]
    assert not kept.whole_history
    # The finished messages of the turns not kept are let go of as well.
    assert kept.whole_state
    assert kept.state.answered == {t.message_id for t in kept.turns if t.author is not None}
    assert kept.state.delivered == kept.state.answered


async def test_conversations_beyond_the_bound_are_dropped_and_read_again() -> None:
    clock = FakeClock()
    store = RecordingStore(clock)
    builder = ContextBuilder.for_prompt("You are Lukas.", 4, ContextLimits())
    active = ActiveConversations(store, builder, capacity=2)
    keys = [ConversationKey(f"console:{name}") for name in "abc"]
    for key in keys:
        await active.recall(key)
    assert len(active) == 2
    store.calls.clear()
    await active.recall(keys[2])  # kept
    await active.recall(keys[0])  # dropped when the third came: read from its tail again
    assert store.calls == [("tail of 36", 0)]
    with pytest.raises(ValueError, match="at least 1"):
        ActiveConversations(store, builder, capacity=0)


async def test_the_reply_after_a_check_in_sees_it_though_another_use_case_wrote_it() -> None:
    world, store = recorded_world()
    await world.handler.handle(said(world, "Hi", "p1"))
    opened = CheckInOpened(
        member_id="U1", text="Lunch later?", platform_message_id="c1", token_count=4
    )
    await store.append(A.stream_id, [NewEvent("opened", opened, world.handler._metadata("c"))], 3)
    outcome = await world.handler.handle(said(world, "Sure!", "p2"))
    window = world.model.calls[-1]
    assert ContextMessage(Role.ASSISTANT, "Lunch later?", opened.token_count) in window
    assert window == await expected_window(world, outcome.message_id)
