"""Small builders for events in tests."""

from __future__ import annotations

import itertools

from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived, ReplyDelivered
from lukas.domain.routing import Route

_ids = itertools.count(1)


def message(text: str = "hello", conversation: str = "console:test") -> MessageReceived:
    return MessageReceived(
        conversation=ConversationKey(conversation),
        author_id="U1",
        author_name="Ada",
        text=text,
        platform_message_id=f"m{next(_ids)}",
        token_count=len(text.split()),
        route=Route.addressed(),
    )


def new_event(text: str = "hello", event_id: str | None = None) -> NewEvent:
    event_id = event_id or f"event-{next(_ids)}"
    return NewEvent(
        event_id=event_id,
        event=message(text),
        metadata=EventMetadata(correlation_id=event_id),
    )


def delivered(reply_to: str) -> NewEvent:
    return NewEvent(
        event_id=f"delivered-{reply_to}",
        event=ReplyDelivered(reply_to=reply_to, platform_message_id="p1"),
        metadata=EventMetadata(correlation_id=reply_to, causation_id=reply_to),
    )
