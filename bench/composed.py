"""Lukas as the benchmarks run him: built by the same composition root as `lukas slack`
and `lukas console` (entrypoints/bootstrap.compose), with the tests' fakes where a
benchmark does not measure the real thing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fakes.channel_poster import FakeChannel, FakeChannelPoster
from fakes.chat_channel import FakeChatChannel
from fakes.direct_messages import FakeDirectMessages
from fakes.instances import FakeInstances

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.application.ports.chat_model import ChatModel
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.token_counter import TokenCounter
from lukas.entrypoints.bootstrap import Adapters, Lukas, compose
from lukas.entrypoints.config import Config


def composed(
    config: Config,
    *,
    store: EventStore,
    model: ChatModel,
    counter: TokenCounter,
    clock: Clock,
    draw: Callable[[], float],
    channel: FakeChatChannel | None = None,
    instance_id: str = "bench",
    credentials_hint: str = "the provider's API key",
) -> Lukas:
    return compose(
        config,
        Adapters(
            store=store,
            checkpoints=InMemoryCheckpoints(),
            clock=clock,
            instances=FakeInstances(instance_id),
            model=model,
            counter=counter,
            draw=draw,
            channel=channel or FakeChatChannel(),
            announcements=FakeChannelPoster(FakeChannel("C0GEN", "general")),
            dms=FakeDirectMessages(),
            timezone=dt.UTC,
            lukas_id="ULUKAS",
            credentials_hint=credentials_hint,
        ),
    )
