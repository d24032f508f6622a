"""Lukas composed by the same root as in production, from in-memory fakes of every port."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import attrs

from fakes.channel_poster import FakeChannel, FakeChannelPoster
from fakes.chat_channel import FakeChatChannel
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.direct_messages import FakeDirectMessages
from fakes.instances import FakeInstances
from fakes.token_counter import FakeTokenCounter
from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.memory.data_keys import InMemoryDataKeys
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.ports.chat_model import ChatModel
from lukas.domain.context_window import ContextLimits
from lukas.domain.conversation_key import ConversationKey
from lukas.entrypoints.bootstrap import Adapters, Images, Lukas, Reading, compose
from lukas.entrypoints.config import Config


@attrs.define
class World:
    """Lukas wired to in-memory fakes of every port."""

    store: InMemoryEventStore
    checkpoints: InMemoryCheckpoints
    model: FakeChatModel
    channel: FakeChatChannel
    clock: FakeClock
    counter: FakeTokenCounter
    lukas: Lukas
    limits: ContextLimits
    next_id: Callable[[], str]
    announcements: FakeChannelPoster
    dms: FakeDirectMessages
    instances: FakeInstances
    # The keys personal words are sealed with, when the world was made `sealed` (the
    # store above is then the one beneath the sealing, holding what is on disk).
    keys: InMemoryDataKeys

    @property
    def handler(self) -> MessageHandler:
        return self.lukas.handler

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
    checkpoints: InMemoryCheckpoints | None = None,
    clock: FakeClock | None = None,
    admins: tuple[str, ...] = ("UADMIN",),
    instance_id: str = "instance-a",
    instances: FakeInstances | None = None,
    announcements: FakeChannelPoster | None = None,
    timezone: dt.tzinfo = dt.UTC,
    images: Images | None = None,
    reading: Reading | None = None,
    config: Config | None = None,
    channel: FakeChatChannel | None = None,
    sealed: bool = False,
    plain_before: bool = False,
) -> World:
    """Lukas over fakes; `sealed`: personal words sealed with data keys, as in production
    (ADR 27), `plain_before` as for a log with words from before sealing began."""
    clock = clock or FakeClock()
    store = store or InMemoryEventStore(clock)
    checkpoints = checkpoints or InMemoryCheckpoints()
    channel = channel or FakeChatChannel()
    counter = FakeTokenCounter()
    limits = limits or ContextLimits()
    random_draws = itertools.cycle(draws or [0.0])
    chat_model = model or FakeChatModel()
    instances = instances or FakeInstances(instance_id)
    announcements = announcements or FakeChannelPoster(FakeChannel("C0GEN", "general"))
    dms = FakeDirectMessages()
    config = config or Config(
        history_pairs=limits.max_pairs, context_tokens=limits.max_tokens, admin_users=admins
    )
    keys = InMemoryDataKeys()
    lukas_store = (
        SealedEventStore(store, keys, clock, plain_before=plain_before) if sealed else store
    )
    lukas = compose(
        config,
        Adapters(
            store=lukas_store,
            keys=keys,
            checkpoints=checkpoints,
            clock=clock,
            instances=instances,
            model=chat_model,
            counter=counter,
            draw=lambda: next(random_draws),
            channel=channel,
            announcements=announcements,
            dms=dms,
            timezone=timezone,
            lukas_id="ULUKAS",
            credentials_hint="FAKE_API_KEY",
            images=images,
            reading=reading,
        ),
    )
    ids = itertools.count(1)
    return World(
        store,
        checkpoints,
        chat_model if isinstance(chat_model, FakeChatModel) else FakeChatModel(),
        channel,
        clock,
        counter,
        lukas,
        limits,
        lambda: f"p{next(ids)}",
        announcements,
        dms,
        instances,
        keys,
    )
