"""Projections fold the log; rebuilt from position 0 they equal the live ones."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import attrs
import pytest
from fakes.clock import FakeClock
from fakes.world import World, make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.chat_model import ChatModelError
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.context_windows import ContextWindowsProjection
from lukas.application.projections.conversation_history import history_from
from lukas.application.projections.conversation_list import ConversationListProjection
from lukas.application.projections.projection import LiveProjection, rebuild
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.failures import FailureKind

pytestmark = pytest.mark.anyio


async def chat(world: World, count: int, conversations: Sequence[str] = ("console:a",)) -> None:
    for n in range(count):
        if n % 7 == 3:
            world.model.script(ChatModelError(FailureKind.PROVIDER, "500"))
        conversation = conversations[n % len(conversations)]
        await world.handler.handle(world.message(f"message {n}", conversation))


async def test_live_projections_equal_rebuilt_ones() -> None:
    world = make_world()
    conversations = ("console:a", "console:b", "slack-dm:D1")
    live_windows = LiveProjection(world.store, ContextWindowsProjection(keep=11))
    live_list = LiveProjection(world.store, ConversationListProjection())
    async with anyio.create_task_group() as group:
        group.start_soon(live_windows.follow)
        group.start_soon(live_list.follow)
        await chat(world, 40, conversations)
        last = (await world.store.read_all())[-1].position
        with anyio.fail_after(5):
            # Polling is the point here: the projections run on their own.
            while live_windows.position < last or live_list.position < last:  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    windows, _ = await rebuild(world.store, ContextWindowsProjection(keep=11))
    listed, position = await rebuild(world.store, ConversationListProjection())
    assert position == last
    assert live_windows.state == windows
    assert live_list.state == listed
    summary = listed[ConversationKey("console:a")]
    assert (summary.messages, summary.delivered) == (14, 14)
    assert summary.fallbacks == sum(1 for n in range(0, 40, 3) if n % 7 == 3)


async def test_a_rebuild_can_stop_at_a_position() -> None:
    world = make_world()
    await chat(world, 5)
    listed, position = await rebuild(world.store, ConversationListProjection(), until_position=4)
    assert position == 4
    assert listed[ConversationKey("console:a")].messages == 2


async def test_the_tail_gives_the_same_context_as_the_whole_stream() -> None:
    world = make_world()
    await chat(world, 60)
    stream = ConversationKey("console:a").stream_id
    everything = await world.store.read_stream(stream)
    tail = await world.store.read_stream_tail(stream, 3 * (world.limits.max_pairs + 2))
    last = history_from(everything)[-1].message_id
    builder = world.handler._context  # the handler's own builder: same limits
    from_tail = builder.build(history_from(tail), last)
    from_everything = builder.build(history_from(everything), last)
    assert from_tail.messages == from_everything.messages
    assert from_tail.total_tokens == from_everything.total_tokens


class CountingStore(InMemoryEventStore):
    """Counts the events each read hands back: the work a message costs the store."""

    read = 0

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        events = await super().read_stream(stream_id, from_version)
        self.read += len(events)
        return events

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        events = await super().read_stream_tail(stream_id, count)
        self.read += len(events)
        return events

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        events = await super().read_all(from_position, until_position, limit)
        self.read += len(events)
        return events


@pytest.mark.parametrize("history", [40, 400])
async def test_answering_reads_the_same_amount_however_long_the_conversation(
    history: int,
) -> None:
    clock = FakeClock()
    store = CountingStore(clock)
    world = make_world(store=store, clock=clock)
    await chat(world, history)
    store.read = 0
    await world.handler.handle(world.message("one more", "console:a"))
    # The handler knows the conversation already: every decision rests on what it appended.
    assert store.read == 0
    # A process new to it reads its tail of 3 * (10 + 2) events, once.
    newcomer = make_world(store=store, clock=clock, instance_id="instance-b")
    message = attrs.evolve(newcomer.message("and another", "console:a"), platform_message_id="b1")
    outcome = await newcomer.handler.handle(message)
    assert outcome.delivered
    assert not outcome.duplicate
    assert store.read == 36
