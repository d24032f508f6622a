"""Every conversation Lukas has had: how much was said, and when."""

from __future__ import annotations

from datetime import datetime

import attrs

from lukas.application.ports.checkpoints import CheckpointSpec
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.stream_keys import ConversationKeys
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived, ReplyDelivered, ReplyFailed, ReplyGenerated
from lukas.domain.personal_data import is_forgotten


@attrs.define
class ConversationSummary:
    """Updated in place by the fold that made it: a new summary per event made rebuilding
    a long log spend its time copying."""

    key: ConversationKey
    started_at: datetime
    last_activity: datetime
    last_position: int
    messages: int = 0
    replies: int = 0
    fallbacks: int = 0
    delivered: int = 0
    forgotten: int = 0  # messages whose words are forgotten (ADR 27)


# Updated in place by the fold (see context_windows.py for why).
Conversations = dict[ConversationKey, ConversationSummary]


class ConversationListProjection:
    def __init__(self) -> None:
        self._keys = ConversationKeys()

    def initial(self) -> Conversations:
        return {}

    def evolve(self, state: Conversations, recorded: RecordedEvent) -> Conversations:
        key = self._keys.of(recorded.stream_id)
        if key is None:
            return state
        summary = state.get(key)
        if summary is None:
            summary = state[key] = ConversationSummary(
                key, recorded.recorded_at, recorded.recorded_at, recorded.position
            )
        else:
            summary.last_activity = recorded.recorded_at
            summary.last_position = recorded.position
        event = recorded.event
        if isinstance(event, MessageReceived):
            summary.messages += 1
            if is_forgotten(event.text):
                summary.forgotten += 1
        elif isinstance(event, ReplyGenerated):
            summary.replies += 1
        elif isinstance(event, ReplyFailed):
            summary.fallbacks += 1
        elif isinstance(event, ReplyDelivered):
            summary.delivered += 1
        return state


# 2: messages forgotten are counted.
CONVERSATION_LIST = CheckpointSpec[Conversations]("conversation-list", 2, Conversations)
