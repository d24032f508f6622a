"""Every fact Lukas learns or produces. Frozen values; the store gives them identity and order.

Each class names its event type and schema version. Changing a class's fields means raising
its SCHEMA_VERSION and adding an upcaster for the old shape, so old logs keep loading.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.failures import FailureKind


@attrs.frozen
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@attrs.frozen(kw_only=True)
class MessageReceived:
    """A person said something to Lukas. Recorded before any model is asked."""

    TYPE: ClassVar[str] = "MessageReceived"
    SCHEMA_VERSION: ClassVar[int] = 1

    conversation: ConversationKey
    author_id: str
    author_name: str
    text: str
    platform_message_id: str
    # Tokens of the message as the model reads it: "author_name: text".
    token_count: int


@attrs.frozen(kw_only=True)
class ReplyGenerated:
    """The model answered a message; not yet seen by anyone."""

    TYPE: ClassVar[str] = "ReplyGenerated"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str
    text: str
    provider: str
    model: str
    usage: Usage | None
    finish_reason: str
    latency_ms: int
    context_tokens: int
    token_count: int


@attrs.frozen(kw_only=True)
class ReplyFailed:
    """No reply could be had from a model; `fallback_text` was sent instead."""

    TYPE: ClassVar[str] = "ReplyFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str
    kind: FailureKind
    detail: str
    attempts: int
    fallback_text: str


@attrs.frozen(kw_only=True)
class ReplyDelivered:
    """The reply (or fallback) for a message reached the chat platform."""

    TYPE: ClassVar[str] = "ReplyDelivered"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class DeliveryClaimed:
    """An instance took over delivering a reply whose first deliverer is gone."""

    TYPE: ClassVar[str] = "DeliveryClaimed"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str


@attrs.frozen(kw_only=True)
class CircuitStateChanged:
    """The circuit breaker in front of a dependency (the chat model) opened or closed."""

    TYPE: ClassVar[str] = "CircuitStateChanged"
    SCHEMA_VERSION: ClassVar[int] = 1

    dependency: str
    previous: str  # closed, open, half-open
    current: str
    detail: str


@attrs.frozen(kw_only=True)
class AdminAlerted:
    """Admins were told about something only they can fix, such as a rejected API key."""

    TYPE: ClassVar[str] = "AdminAlerted"
    SCHEMA_VERSION: ClassVar[int] = 1

    kind: FailureKind
    text: str
    admins: tuple[str, ...]


@attrs.frozen(kw_only=True)
class PersonNamed:
    """What a person is called on the chat platform, looked up once and remembered."""

    TYPE: ClassVar[str] = "PersonNamed"
    SCHEMA_VERSION: ClassVar[int] = 1

    person_id: str
    display_name: str


@attrs.frozen(kw_only=True)
class ConversationStarted:
    """A new session began in a direct-message channel (after a long quiet spell)."""

    TYPE: ClassVar[str] = "ConversationStarted"
    SCHEMA_VERSION: ClassVar[int] = 1

    conversation: ConversationKey


@attrs.frozen(kw_only=True)
class ImageRequested:
    """A bear picture was asked for: by the weekly schedule or by a person."""

    TYPE: ClassVar[str] = "ImageRequested"
    SCHEMA_VERSION: ClassVar[int] = 1

    prompt: str
    theme: str | None
    occasion: str | None
    trigger: str  # "schedule" or "request"
    requester: str | None
    period: str | None  # the ISO week a scheduled picture is for


@attrs.frozen(kw_only=True)
class ImageGenerated:
    TYPE: ClassVar[str] = "ImageGenerated"
    SCHEMA_VERSION: ClassVar[int] = 1

    model: str
    size: str
    quality: str
    revised_prompt: str | None
    source: str  # "b64_json" or "url"
    file: str  # where the bytes were kept, so a restart can still post them
    cost_usd: float
    caption: str


@attrs.frozen(kw_only=True)
class ImageFailed:
    TYPE: ClassVar[str] = "ImageFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    kind: str
    message: str
    attempts: int
    retry_later_could_help: bool


@attrs.frozen(kw_only=True)
class ImagePosted:
    TYPE: ClassVar[str] = "ImagePosted"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str
    reference: str  # Slack's file id, or the path the console saved it to


@attrs.frozen(kw_only=True)
class EngagementDecided:
    """Lukas judged a new thread once: whether to join, whether to react, and why."""

    TYPE: ClassVar[str] = "EngagementDecided"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str
    ts: str
    thread_probability: float
    thread_draw: float
    reply: bool
    reaction_probability: float
    reaction_draw: float
    reaction: str | None
    reason: str


@attrs.frozen(kw_only=True)
class ProactivePaused:
    """An admin paused Lukas's unasked messages, until a time or until resumed."""

    TYPE: ClassVar[str] = "ProactivePaused"
    SCHEMA_VERSION: ClassVar[int] = 1

    until: str | None  # ISO 8601; None: until resumed
    by: str


@attrs.frozen(kw_only=True)
class ProactiveResumed:
    TYPE: ClassVar[str] = "ProactiveResumed"
    SCHEMA_VERSION: ClassVar[int] = 1

    by: str


DomainEvent = (
    MessageReceived
    | ReplyGenerated
    | ReplyFailed
    | ReplyDelivered
    | DeliveryClaimed
    | CircuitStateChanged
    | AdminAlerted
    | PersonNamed
    | ConversationStarted
    | ImageRequested
    | ImageGenerated
    | ImageFailed
    | ImagePosted
    | EngagementDecided
    | ProactivePaused
    | ProactiveResumed
)

EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    MessageReceived,
    ReplyGenerated,
    ReplyFailed,
    ReplyDelivered,
    DeliveryClaimed,
    CircuitStateChanged,
    AdminAlerted,
    PersonNamed,
    ConversationStarted,
    ImageRequested,
    ImageGenerated,
    ImageFailed,
    ImagePosted,
    EngagementDecided,
    ProactivePaused,
    ProactiveResumed,
)
