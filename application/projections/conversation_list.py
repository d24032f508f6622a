"""Every conversation Lukas has had: how much was said, and when."""

from __future__ import annotations

from datetime import datetime

import attrs

from lukas.application.ports.checkpoints import CheckpointSpec
from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived, ReplyDelivered, ReplyFailed, ReplyGenerated


@attrs.frozen
class ConversationSummary:
    key: ConversationKey
    started_at: datetime
    last_activity: datetime
    last_position: int
    messages: int = 0
    replies: int = 0
    fallbacks: int = 0
    delivered: int = 0


# Updated in place by the fold (see context_windows.py for why).
Conversations = dict[ConversationKey, ConversationSummary]


class ConversationListProjection:
    def initial(self) -> Conversations:
        return {}

    def evolve(self, state: Conversations, recorded: RecordedEvent) -> Conversations:
        key = ConversationKey.from_stream_id(recorded.stream_id)
        if key is None:
            return state
        event = recorded.event
        previous = state.get(key)
        # One new summary per event: rebuilding a long log makes this the hot loop.
        summary = ConversationSummary(
            key=key,
            started_at=previous.started_at if previous else recorded.recorded_at,
            last_activity=recorded.recorded_at,
            last_position=recorded.position,
            messages=(previous.messages if previous else 0) + isinstance(event, MessageReceived),
            replies=(previous.replies if previous else 0) + isinstance(event, ReplyGenerated),
            fallbacks=(previous.fallbacks if previous else 0) + isinstance(event, ReplyFailed),
            delivered=(previous.delivered if previous else 0) + isinstance(event, ReplyDelivered),
        )
        state[key] = summary
        return state


CONVERSATION_LIST = CheckpointSpec[Conversations]("conversation-list", 1, Conversations)
