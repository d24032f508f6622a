"""Event ids derived from what an event is about, so every retry or duplicate maps to one id.

The event store treats a stored id as a no-op, so a message delivered twice, or answered by
two processes at once, still yields one MessageReceived and one reply. ReplyGenerated and
ReplyFailed share an id on purpose: a message has one outcome.
"""

from __future__ import annotations

import uuid

from lukas.domain.conversation_key import ConversationKey

_NAMESPACE = uuid.UUID("6f1d3c1e-5b7a-4d59-9a83-2f4c2a1b7e10")


def derive_event_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def message_event_id(conversation: ConversationKey, platform_message_id: str) -> str:
    return derive_event_id("message", conversation.value, platform_message_id)


def outcome_event_id(message_id: str) -> str:
    return derive_event_id("outcome", message_id)


def delivery_event_id(message_id: str) -> str:
    return derive_event_id("delivery", message_id)


def stream_event_id(message_id: str, platform_message_id: str) -> str:
    return derive_event_id("stream", message_id, platform_message_id)


def stream_closed_event_id(message_id: str, platform_message_id: str) -> str:
    return derive_event_id("stream-closed", message_id, platform_message_id)


def feedback_stream_id(platform_message_id: str) -> str:
    """Every click on one reply's buttons, in one stream: one verdict per person."""
    return f"feedback:{platform_message_id}"


def claim_event_id(message_id: str, stream_version: int) -> str:
    # Two processes claiming at the same stream version make one event, not two.
    return derive_event_id("claim", message_id, str(stream_version))
