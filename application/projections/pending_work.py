"""Messages not yet answered and replies not yet delivered: what a restart must finish."""

from __future__ import annotations

from datetime import datetime

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DeliveryClaimed,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
)


@attrs.frozen
class PendingMessage:
    key: ConversationKey
    message_id: str
    platform_message_id: str
    position: int
    received_at: datetime
    # The process that recorded the newest step, which is the one expected to finish it.
    owner: str | None
    outcome: ReplyGenerated | ReplyFailed | None = None


# Updated in place by the fold: pending items are few, the log may be long.
PendingWork = dict[str, PendingMessage]


class PendingWorkProjection:
    def initial(self) -> PendingWork:
        return {}

    def evolve(self, state: PendingWork, recorded: RecordedEvent) -> PendingWork:
        event = recorded.event
        owner = recorded.metadata.instance_id
        match event:
            case MessageReceived():
                state[recorded.event_id] = PendingMessage(
                    key=event.conversation,
                    message_id=recorded.event_id,
                    platform_message_id=event.platform_message_id,
                    position=recorded.position,
                    received_at=recorded.recorded_at,
                    owner=owner,
                )
            case ReplyGenerated() | ReplyFailed() if event.reply_to in state:
                pending = state[event.reply_to]
                state[event.reply_to] = attrs.evolve(pending, outcome=event, owner=owner)
            case DeliveryClaimed() if event.reply_to in state:
                state[event.reply_to] = attrs.evolve(state[event.reply_to], owner=owner)
            case ReplyDelivered():
                state.pop(event.reply_to, None)
        return state
