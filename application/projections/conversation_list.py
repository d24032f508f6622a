"""Every conversation Lukas has had: how much was said, and when."""

from __future__ import annotations

from datetime import datetime

import attrs

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
        summary = state.get(key) or ConversationSummary(
            key=key,
            started_at=recorded.recorded_at,
            last_activity=recorded.recorded_at,
            last_position=recorded.position,
        )
        summary = attrs.evolve(
            summary, last_activity=recorded.recorded_at, last_position=recorded.position
        )
        match recorded.event:
            case MessageReceived():
                summary = attrs.evolve(summary, messages=summary.messages + 1)
            case ReplyGenerated():
                summary = attrs.evolve(summary, replies=summary.replies + 1)
            case ReplyFailed():
                summary = attrs.evolve(summary, fallbacks=summary.fallbacks + 1)
            case ReplyDelivered():
                summary = attrs.evolve(summary, delivered=summary.delivered + 1)
        state[key] = summary
        return state
