"""A message handler wired to in-memory fakes of every port."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import attrs

from fakes.chat_channel import FakeChatChannel
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.token_counter import FakeTokenCounter
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.context import ContextBuilder
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.domain.context_window import ContextLimits
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT


@attrs.define
class World:
    """A message handler wired to in-memory fakes of every port."""

    store: InMemoryEventStore
    model: FakeChatModel
    channel: FakeChatChannel
    clock: FakeClock
    counter: FakeTokenCounter
    handler: MessageHandler
    limits: ContextLimits
    next_id: Callable[[], str]

    def message(self, text: str, conversation: str = "console:test") -> IncomingMessage:
        return IncomingMessage(
            conversation=ConversationKey(conversation),
            author_id="U1",
            author_name="Ada",
            text=text,
            platform_message_id=self.next_id(),
        )


def make_world(limits: ContextLimits | None = None, draws: list[float] | None = None) -> World:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    model = FakeChatModel()
    channel = FakeChatChannel()
    counter = FakeTokenCounter()
    limits = limits or ContextLimits()
    random_draws = itertools.cycle(draws or [0.0])
    builder = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT, counter.count(PERSONA_SYSTEM_PROMPT), limits
    )
    handler = MessageHandler(
        store=store,
        model=model,
        channel=channel,
        counter=counter,
        clock=clock,
        context=builder,
        random=lambda: next(random_draws),
    )
    ids = itertools.count(1)
    return World(store, model, channel, clock, counter, handler, limits, lambda: f"p{next(ids)}")
