"""Threads opened in the assistant pane: recorded, greeted once, titled, answered in place."""

from __future__ import annotations

import pytest
from fakes.assistant import FakeAssistantSurface
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.assistant_threads import TITLE_CHARS, AssistantThreads
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    AssistantThreadContextChanged,
    AssistantThreadStarted,
    MessageReceived,
)
from lukas.domain.persona import ASSISTANT_GREETING
from lukas.domain.routing import Route

pytestmark = pytest.mark.anyio

KEY = ConversationKey.slack_thread("D01", "1700.1")
PROMPTS = ("Tell me a bear fact", "Cheer me up")


def threads() -> tuple[AssistantThreads, FakeAssistantSurface, InMemoryEventStore]:
    store = InMemoryEventStore(FakeClock())
    surface = FakeAssistantSurface()
    return AssistantThreads(store=store, surface=surface, prompts=PROMPTS), surface, store


async def test_a_new_thread_is_recorded_with_its_context_and_greeted_once() -> None:
    assistant, surface, store = threads()
    assert await assistant.started("D01", "1700.1", "U1", "C0GEN")
    assert not await assistant.started("D01", "1700.1", "U1", "C0GEN")  # Slack sent it again
    [recorded] = await store.read_stream(KEY.stream_id)
    assert recorded.event == AssistantThreadStarted(
        channel="D01", thread_ts="1700.1", user_id="U1", context_channel="C0GEN"
    )
    assert [(g.conversation, g.text, g.prompts) for g in surface.greetings] == [
        (KEY, ASSISTANT_GREETING, PROMPTS)
    ]


async def test_a_greeting_the_platform_refuses_still_leaves_the_thread_recorded() -> None:
    assistant, surface, store = threads()
    surface.refuse = True
    assert await assistant.started("D01", "1700.1", "U1", None)
    assert len(await store.read_stream(KEY.stream_id)) == 1


async def test_a_changed_context_is_recorded_once_per_change() -> None:
    assistant, _, store = threads()
    await assistant.started("D01", "1700.1", "U1", "C0GEN")
    await assistant.context_changed("D01", "1700.1", "C0RANDOM", "1700.5")
    await assistant.context_changed("D01", "1700.1", "C0RANDOM", "1700.5")  # redelivered
    events = [r.event for r in await store.read_stream(KEY.stream_id)]
    assert events[1:] == [
        AssistantThreadContextChanged(channel="D01", thread_ts="1700.1", context_channel="C0RANDOM")
    ]


async def test_the_thread_is_titled_after_its_first_message_only() -> None:
    assistant, surface, store = threads()
    await assistant.started("D01", "1700.1", "U1", None)
    first = "Could you explain   how hibernation works for bears that live in the far north?"
    await store.append(KEY.stream_id, [_message("m1", first)], None)
    await assistant.title_after(KEY, first)
    await store.append(KEY.stream_id, [_message("m2", "And in zoos?")], None)
    await assistant.title_after(KEY, "And in zoos?")
    [(key, title)] = surface.titles
    assert key == KEY
    assert len(title) == TITLE_CHARS
    assert title.startswith("Could you explain how hibernation")
    assert title.endswith("\u2026")


async def test_a_thread_not_opened_in_the_pane_is_never_titled() -> None:
    assistant, surface, store = threads()
    other = ConversationKey.slack_thread("C01", "1.1")
    await store.append(other.stream_id, [_message("m1", "hi")], None)
    await assistant.title_after(other, "hi")
    assert surface.titles == []


def _message(event_id: str, text: str) -> NewEvent:
    event = MessageReceived(
        conversation=KEY,
        author_id="U1",
        author_name="Ada",
        text=text,
        platform_message_id=event_id,
        token_count=3,
        route=Route.addressed(),
    )
    return NewEvent(event_id, event, EventMetadata(event_id))
