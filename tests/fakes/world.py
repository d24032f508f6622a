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
from lukas.application.admin_alerts import AdminAlerts
from lukas.application.compose_reply import ReplyComposer
from lukas.application.context import ContextBuilder
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.ports.chat_model import ChatModel
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


def make_world(
    limits: ContextLimits | None = None,
    draws: list[float] | None = None,
    *,
    model: ChatModel | None = None,
    store: InMemoryEventStore | None = None,
    clock: FakeClock | None = None,
    admins: tuple[str, ...] = ("UADMIN",),
    instance_id: str = "instance-a",
) -> World:
    clock = clock or FakeClock()
    store = store or InMemoryEventStore(clock)
    channel = FakeChatChannel()
    counter = FakeTokenCounter()
    limits = limits or ContextLimits()
    random_draws = itertools.cycle(draws or [0.0])
    builder = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT, counter.count(PERSONA_SYSTEM_PROMPT), limits
    )
    chat_model = model or FakeChatModel()
    alerts = AdminAlerts(
        store=store, channel=channel, clock=clock, admins=admins, instance_id=instance_id
    )
    composer = ReplyComposer(
        model=chat_model,
        counter=counter,
        clock=clock,
        context=builder,
        random=lambda: next(random_draws),
        alerts=alerts,
        credentials_hint="FAKE_API_KEY",
    )
    handler = MessageHandler(
        store=store,
        composer=composer,
        channel=channel,
        counter=counter,
        context=builder,
        instance_id=instance_id,
    )
    ids = itertools.count(1)
    return World(
        store,
        chat_model if isinstance(chat_model, FakeChatModel) else FakeChatModel(),
        channel,
        clock,
        counter,
        handler,
        limits,
        lambda: f"p{next(ids)}",
    )
