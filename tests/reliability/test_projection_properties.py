"""Random conversations through the real message handler (fakes for every port), then:
every projection is the same however it is folded, and every context window stays within
its budget without splitting an exchange.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import attrs
from fakes.chat_model import FakeReply
from fakes.world import World, make_world
from hypothesis import event, given, settings
from hypothesis import strategies as st

from lukas.application.context import ContextBuilder
from lukas.application.handle_message import IncomingMessage, Outcome
from lukas.application.ports.chat_model import ChatModelError
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.context_windows import ContextWindowsProjection
from lukas.application.projections.conversation_history import HistoryEntry, history_from
from lukas.application.projections.conversation_list import ConversationListProjection
from lukas.application.projections.engagement_stats import EngagementStatsProjection
from lukas.application.projections.pending_work import PendingWorkProjection
from lukas.application.projections.projection import LiveProjection, Projection, rebuild
from lukas.application.projections.roster import RosterProjection
from lukas.application.projections.usage_stats import UsageStatsProjection
from lukas.domain.context_window import (
    ContextLimits,
    ContextMessage,
    ContextWindow,
    Exchange,
    Role,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.failures import FailureKind

CONVERSATIONS = ("console:a", "slack-dm:D1", "slack-thread:C1:1700000000.000100")
MAX_PAIRS = 10

PROJECTIONS: dict[str, Callable[[], Projection[Any]]] = {
    "conversation list": ConversationListProjection,
    "context windows": lambda: ContextWindowsProjection(keep=MAX_PAIRS + 1),
    "pending work": PendingWorkProjection,
    "usage stats": UsageStatsProjection,
    "engagement stats": EngagementStatsProjection,
    "roster": RosterProjection,
}


@attrs.frozen
class Say:
    """A new message in one conversation, what the model does with it, and the channel's mood."""

    conversation: int
    text: str
    answer: str | FakeReply | ChatModelError
    refuse_delivery: bool
    wait_seconds: int


@attrs.frozen
class Repeat:
    """The platform delivers an earlier message again."""

    which: int


words = st.sampled_from(["honey", "bear", "forest", "hi", "?", "!", "Lukas", "paws", "3"])
texts = st.one_of(
    st.lists(words, max_size=40).map(" ".join),
    st.text(max_size=20),
)
failures = st.sampled_from(
    [
        FailureKind.PROVIDER,
        FailureKind.RATE_LIMIT,
        FailureKind.TIMEOUT,
        FailureKind.AUTHENTICATION,
        FailureKind.CONTENT_FILTER,
        FailureKind.CONTEXT_LENGTH,
    ]
).map(lambda kind: ChatModelError(kind, "scripted"))
answers = st.one_of(
    texts,  # may be blank: an empty reply is a failure too
    st.builds(FakeReply, texts, st.sampled_from(["stop", "length"]), st.none()),
    failures,
)
says = st.builds(
    Say,
    st.integers(0, len(CONVERSATIONS) - 1),
    texts,
    answers,
    st.booleans(),
    st.sampled_from([0, 0, 0, 30, 3600, 86_400]),
)
scripts = st.lists(st.one_of(says, says, says, st.builds(Repeat, st.integers(0, 50))), min_size=1)
# Tight budgets: the persona alone is 188 tokens with the fake counter, so 150 fits no
# message, 200 only short ones, and 260 or 400 some history.
budgets = st.sampled_from([150, 200, 260, 400, 4000])


@attrs.frozen
class Played:
    world: World
    live: dict[str, Any]  # projection name -> state followed from the subscription
    said: dict[str, IncomingMessage]  # message id -> the message
    outcomes: dict[str, Outcome]  # message id -> how its first handling ended


async def play(script: Sequence[Say | Repeat], budget: int) -> Played:
    world = make_world(ContextLimits(max_pairs=MAX_PAIRS, max_tokens=budget), draws=[0.3, 0.7])
    live = {name: LiveProjection(world.store, make()) for name, make in PROJECTIONS.items()}
    said: dict[str, IncomingMessage] = {}
    outcomes: dict[str, Outcome] = {}
    sent: list[IncomingMessage] = []
    async with anyio.create_task_group() as group:
        for projection in live.values():
            group.start_soon(projection.follow)
        for step in script:
            if isinstance(step, Repeat):
                if sent:
                    event("script: a message delivered again")
                    again = await world.handler.handle(sent[step.which % len(sent)])
                    assert again.duplicate
                continue
            world.clock.advance(step.wait_seconds)
            world.model.script(step.answer)
            world.channel.refuse_next = int(step.refuse_delivery)
            message = world.message(step.text, CONVERSATIONS[step.conversation])
            outcome = await world.handler.handle(message)
            world.channel.refuse_next = 0
            assert not outcome.duplicate
            event(f"outcome: {outcome.failure or 'reply'}, delivered={outcome.delivered}")
            said[outcome.message_id] = message
            outcomes[outcome.message_id] = outcome
            sent.append(message)
        last = len(await world.store.read_all())
        with anyio.fail_after(5):
            # The live projections run on their own; waiting for them to catch up is the point.
            while any(p.position < last for p in live.values()):  # noqa: ASYNC110
                await anyio.sleep(0.001)
        group.cancel_scope.cancel()
    return Played(world, {name: p.state for name, p in live.items()}, said, outcomes)


async def fold_one_at_a_time(played: Played, make: Callable[[], Projection[Any]]) -> Any:
    """A second pass over the log, reading and folding each event on its own."""
    projection = make()
    state = projection.initial()
    position = 0
    while batch := await played.world.store.read_all(position, position + 1):
        [recorded] = batch
        state = projection.evolve(state, recorded)
        position = recorded.position
    return state


async def check_projections(played: Played, cut: int) -> None:
    store = played.world.store
    everything = await store.read_all()
    positions = [e.position for e in everything]
    assert positions == list(range(1, len(everything) + 1))
    cut %= len(everything) + 1
    for name, make in PROJECTIONS.items():
        rebuilt, position = await rebuild(store, make())
        assert position == len(everything)
        assert rebuilt == await fold_one_at_a_time(played, make), name
        assert rebuilt == played.live[name], name
        # A rebuild that stops part-way equals folding just that prefix.
        until, _ = await rebuild(store, make(), until_position=cut)
        projection = make()
        state = projection.initial()
        for recorded in everything[:cut]:
            state = projection.evolve(state, recorded)
        assert until == state, name


async def check_projections_against_the_handler(played: Played) -> None:
    """What each projection says, against what the handler reported doing."""
    store = played.world.store
    listed, _ = await rebuild(store, ConversationListProjection())
    for value in CONVERSATIONS:
        key = ConversationKey(value)
        ids = [m for m, message in played.said.items() if message.conversation == key]
        if not ids:
            assert key not in listed
            continue
        summary = listed[key]
        failed = [m for m in ids if played.outcomes[m].failure is not None]
        assert summary.messages == len(ids)
        assert (summary.replies, summary.fallbacks) == (len(ids) - len(failed), len(failed))
        assert summary.delivered == sum(played.outcomes[m].delivered for m in ids)

    pending, _ = await rebuild(store, PendingWorkProjection())
    undelivered = {m for m, outcome in played.outcomes.items() if not outcome.delivered}
    assert set(pending.messages) == undelivered
    assert all(pending.messages[m].outcome is not None for m in undelivered)
    assert pending.inbound == {}

    stats, _ = await rebuild(store, UsageStatsProjection())
    failed_total = sum(o.failure is not None for o in played.outcomes.values())
    assert sum(day.messages for day in stats.values()) == len(played.said)
    assert sum(day.fallbacks for day in stats.values()) == failed_total
    assert sum(day.replies for day in stats.values()) == len(played.said) - failed_total

    windows, _ = await rebuild(store, ContextWindowsProjection(keep=MAX_PAIRS + 1))
    for key, entries in windows.items():
        whole = history_from(await store.read_stream(key.stream_id))
        assert list(entries) == whole[-(MAX_PAIRS + 1) :]


def check_window(
    window: ContextWindow, builder: ContextBuilder, entries: Sequence[HistoryEntry], at: int
) -> None:
    """Within budget (unless it cannot fit), whole exchanges only, newest kept first."""
    limits = builder.limits
    system, *middle, current = window.messages
    assert system == builder.system
    assert current == entries[at].exchange.user
    assert window.total_tokens == sum(m.tokens for m in window.messages)
    assert_pairs_whole(window.messages)
    history = [entry.exchange for entry in entries[:at]]
    kept = next(
        (k for k in range(len(history) + 1) if flatten(history[len(history) - k :]) == middle),
        None,
    )
    assert kept is not None, "the window is not the newest exchanges, whole and in order"
    assert kept <= limits.max_pairs
    if kept < len(history):
        event("window: history left out" + ("" if window.fits else " (too long to fit)"))
    if not window.fits:
        assert middle == []
        assert system.tokens + current.tokens > limits.max_tokens
        return
    assert window.total_tokens <= limits.max_tokens
    if kept < min(len(history), limits.max_pairs):
        # Dropping stopped at the first exchange that fits: the next older one would not.
        older = history[len(history) - kept - 1]
        assert window.total_tokens + older.tokens > limits.max_tokens


def flatten(exchanges: Sequence[Exchange]) -> list[ContextMessage]:
    return [message for exchange in exchanges for message in exchange.messages]


def assert_pairs_whole(messages: Sequence[ContextMessage]) -> None:
    """System first, a person's message last, and every answer right after a person's words."""
    assert messages[0].role is Role.SYSTEM
    assert messages[-1].role is Role.USER
    assert all(m.role is not Role.SYSTEM for m in messages[1:])
    for before, message in itertools.pairwise(messages):
        if message.role is Role.ASSISTANT:
            assert before.role is Role.USER


async def check_context_windows(played: Played) -> None:
    world = played.world
    builder = world.handler._context  # the handler's own builder, with the world's limits
    for value in CONVERSATIONS:
        stream = ConversationKey(value).stream_id
        whole = history_from(await world.store.read_stream(stream))
        if not whole:
            continue
        tail = history_from(await world.store.read_stream_tail(stream, builder.tail_size))
        last = tail[-1].message_id
        from_tail = builder.build(tail, last)
        check_window(from_tail, builder, tail, len(tail) - 1)
        if len(tail) < len(whole):
            event("context: the tail holds fewer exchanges than the stream")
        # The handler reads only the tail; it must send what the whole stream would give.
        # (dropped_pairs differs by design: it counts only the pairs the reader saw.)
        from_whole = builder.build(whole, last)
        assert from_tail.messages == from_whole.messages
        assert (from_tail.total_tokens, from_tail.fits) == (
            from_whole.total_tokens,
            from_whole.fits,
        )
        for at, entry in enumerate(whole):
            check_window(builder.build(whole, entry.message_id), builder, whole, at)
    # What the model was really sent, including a retry with half the window.
    for call in world.model.calls:
        assert_pairs_whole(call)
        assert sum(m.tokens for m in call) <= world.limits.max_tokens


def check(played: Played, cut: int) -> None:
    async def checks() -> None:
        await check_projections(played, cut)
        await check_projections_against_the_handler(played)
        await check_context_windows(played)

    anyio.run(checks)


@settings(max_examples=40, deadline=None)
@given(scripts, budgets, st.integers(0, 1000))
def test_projections_agree_and_windows_keep_their_budget(
    script: list[Say | Repeat], budget: int, cut: int
) -> None:
    played = anyio.run(play, script, budget)
    check(played, cut)


# Most messages in one conversation: more exchanges than the pair limit and the tail hold.
crowded_says = st.builds(
    Say,
    st.sampled_from([0, 0, 0, 1]),
    texts,
    answers,
    st.booleans(),
    st.sampled_from([0, 0, 0, 30, 3600, 86_400]),
)


@settings(max_examples=12, deadline=None)
@given(st.lists(crowded_says, min_size=25, max_size=40), st.sampled_from([260, 400, 4000]))
def test_long_conversations_drop_old_exchanges_whole(script: list[Say], budget: int) -> None:
    """Longer runs, where the token budget or the pair limit must leave history out."""
    played = anyio.run(play, script, budget)
    check(played, len(script))


def test_a_recorded_event_is_what_the_checks_read() -> None:
    # Guards the one-at-a-time pass: read_all(p, p + 1) is exactly the event at p + 1.
    async def body() -> list[RecordedEvent]:
        world = make_world()
        for n in range(3):
            await world.handler.handle(world.message(f"m{n}"))
        return await world.store.read_all(4, 5)

    [recorded] = anyio.run(body)
    assert recorded.position == 5
