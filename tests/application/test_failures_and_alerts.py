"""What Lukas says and records when the model cannot answer, and when admins hear of it."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.world import make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.chat_model import ChatModelError, Completion, Tool
from lukas.domain.context_window import ContextMessage
from lukas.domain.events import AdminAlerted, ReplyFailed
from lukas.domain.failures import FailureKind
from lukas.domain.persona import CONTENT_DECLINE, FALLBACK_RESPONSES

pytestmark = pytest.mark.anyio


def auth_error() -> ChatModelError:
    return ChatModelError(FailureKind.AUTHENTICATION, "401 Incorrect API key provided")


async def alerts_in(store: InMemoryEventStore) -> list[AdminAlerted]:
    return [e.event for e in await store.read_all() if isinstance(e.event, AdminAlerted)]


async def test_an_authentication_failure_sends_a_fallback_and_alerts_the_admins_once() -> None:
    world = make_world()
    world.model.script(auth_error(), auth_error())
    first = await world.handler.handle(world.message("Hi"))
    await world.handler.handle(world.message("Hello?"))
    assert first.failure is FailureKind.AUTHENTICATION
    assert first.reply_text in FALLBACK_RESPONSES
    [(admins, text)] = world.channel.alerts
    assert admins == ("UADMIN",)
    assert "cannot authenticate with fake:scripted" in text
    assert "Check FAKE_API_KEY" in text
    assert len(await alerts_in(world.store)) == 1


async def test_the_next_alert_waits_an_hour_even_across_a_restart() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    before = make_world(store=store, clock=clock)
    before.model.script(auth_error())
    await before.handler.handle(before.message("Hi", "console:one"))
    clock.advance(30 * 60)
    after_restart = make_world(store=store, clock=clock, instance_id="instance-b")
    after_restart.model.script(auth_error(), auth_error())
    await after_restart.handler.handle(after_restart.message("Hi", "console:two"))
    assert after_restart.channel.alerts == []
    clock.advance(31 * 60)
    await after_restart.handler.handle(after_restart.message("Again", "console:two"))
    assert len(after_restart.channel.alerts) == 1
    assert len(await alerts_in(store)) == 2


async def test_two_processes_failing_together_alert_once() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    worlds = [make_world(store=store, clock=clock, instance_id=f"i{n}") for n in range(2)]
    for world in worlds:
        world.model.script(auth_error())
    async with anyio.create_task_group() as group:
        for n, world in enumerate(worlds):
            group.start_soon(world.handler.handle, world.message("Hi", f"console:p{n}"))
    assert sum(len(world.channel.alerts) for world in worlds) == 1


async def test_a_content_filter_rejection_gets_a_polite_decline() -> None:
    world = make_world()
    world.model.script(ChatModelError(FailureKind.CONTENT_FILTER, "flagged"))
    outcome = await world.handler.handle(world.message("something dodgy"))
    assert outcome.reply_text == CONTENT_DECLINE
    failed = (await world.store.read_all())[1].event
    assert isinstance(failed, ReplyFailed)
    assert failed.kind is FailureKind.CONTENT_FILTER


async def test_a_context_too_long_is_retried_once_with_less_history() -> None:
    world = make_world()
    for n in range(6):
        await world.handler.handle(world.message(f"earlier message {n}"))
    world.model.script(ChatModelError(FailureKind.CONTEXT_LENGTH, "too long"), "Fits now!")
    outcome = await world.handler.handle(world.message("and now?"))
    assert outcome.reply_text == "Fits now!"
    too_long, retried = world.model.calls[-2:]
    assert len(retried) < len(too_long)
    assert retried[-1].content == "Ada: and now?"
    # Half the failed budget, but never less than the persona and the message themselves.
    fixed = too_long[0].tokens + too_long[-1].tokens
    budget = max(sum(m.tokens for m in too_long) // 2, fixed)
    assert sum(m.tokens for m in retried) <= budget


async def test_a_context_too_long_twice_falls_back_after_two_calls() -> None:
    world = make_world()
    for n in range(4):
        await world.handler.handle(world.message(f"earlier {n}"))
    calls_before = len(world.model.calls)
    too_long = ChatModelError(FailureKind.CONTEXT_LENGTH, "too long")
    world.model.script(too_long, too_long)
    outcome = await world.handler.handle(world.message("and now?"))
    assert outcome.failure is FailureKind.CONTEXT_LENGTH
    assert len(world.model.calls) - calls_before == 2
    failed = (await world.store.read_all())[-2].event
    assert isinstance(failed, ReplyFailed)
    assert failed.attempts == 2


async def test_without_history_a_context_too_long_is_not_retried() -> None:
    world = make_world()
    world.model.script(ChatModelError(FailureKind.CONTEXT_LENGTH, "too long"))
    outcome = await world.handler.handle(world.message("first words"))
    assert outcome.failure is FailureKind.CONTEXT_LENGTH
    assert len(world.model.calls) == 1


async def test_the_attempts_the_model_made_are_recorded() -> None:
    class Retried(FakeChatModel):
        async def complete(
            self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
        ) -> Completion:
            raise ChatModelError(FailureKind.PROVIDER, "502 bad gateway", attempts=3)

    world = make_world(model=Retried())
    await world.handler.handle(world.message("Hi"))
    failed = (await world.store.read_all())[1].event
    assert isinstance(failed, ReplyFailed)
    assert (failed.kind, failed.attempts) == (FailureKind.PROVIDER, 3)
