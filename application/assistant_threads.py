"""Threads opened with Lukas in the assistant pane: recorded when they start (with the
channel the person was looking at), greeted with the suggested prompts, titled after their
first message. Messages in them are conversations like any thread (see Inbox), so replies
stream there and the thinking status shows while the model writes.
"""

from __future__ import annotations

import logging

from lukas.application.identity import derive_event_id
from lukas.application.ports.assistant import AssistantSurface
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    AssistantThreadContextChanged,
    AssistantThreadStarted,
    DomainEvent,
    MessageReceived,
)
from lukas.domain.persona import ASSISTANT_GREETING

log = logging.getLogger(__name__)

# Enough of the first message to know the thread by in a list of them.
TITLE_CHARS = 60


class AssistantThreads:
    def __init__(
        self,
        *,
        store: EventStore,
        surface: AssistantSurface,
        prompts: tuple[str, ...],
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._surface = surface
        self._prompts = prompts
        self._instance_id = instance_id

    async def started(
        self, channel: str, thread_ts: str, user_id: str, context_channel: str | None
    ) -> bool:
        """Record the thread, then greet it; False when it was recorded before (Slack sent
        the event again), and then it is not greeted twice. Raises if the log cannot be
        written, so that the platform's delivery is not acknowledged."""
        key = ConversationKey.slack_thread(channel, thread_ts)
        event = AssistantThreadStarted(
            channel=channel, thread_ts=thread_ts, user_id=user_id, context_channel=context_channel
        )
        if not await self._record(key, event, derive_event_id("assistant", channel, thread_ts)):
            return False
        try:
            await self._surface.greet(key, ASSISTANT_GREETING, self._prompts)
        except DeliveryError as error:
            log.warning("could not greet the new assistant thread %s: %s", key, error)
        return True

    async def context_changed(
        self, channel: str, thread_ts: str, context_channel: str | None, event_ts: str
    ) -> None:
        key = ConversationKey.slack_thread(channel, thread_ts)
        event = AssistantThreadContextChanged(
            channel=channel, thread_ts=thread_ts, context_channel=context_channel
        )
        await self._record(key, event, derive_event_id("assistant-context", key.value, event_ts))

    async def title_after(self, key: ConversationKey, text: str) -> None:
        """Give an assistant thread its title from its first message (best effort)."""
        events = [recorded.event for recorded in await self._store.read_stream(key.stream_id)]
        if not any(isinstance(event, AssistantThreadStarted) for event in events):
            return
        if sum(isinstance(event, MessageReceived) for event in events) != 1:
            return
        try:
            await self._surface.set_title(key, _title(text))
        except DeliveryError as error:
            log.info("could not title the assistant thread %s: %s", key, error)

    async def _record(self, key: ConversationKey, event: DomainEvent, event_id: str) -> bool:
        metadata = EventMetadata(event_id, None, self._instance_id)
        result = await self._store.append(
            key.stream_id, [NewEvent(event_id, event, metadata)], None
        )
        return not result.was_duplicate


def _title(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "\u2026"
