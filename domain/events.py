"""Every fact Lukas learns or produces. Frozen values; the store gives them identity and order.

Each class names its event type and schema version. Changing a class's fields means raising
its SCHEMA_VERSION and adding an upcaster for the old shape, so old logs keep loading.
"""

from __future__ import annotations

import typing
from typing import ClassVar

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route


@attrs.frozen
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@attrs.frozen(kw_only=True)
class MessageReceived:
    """A person said something to Lukas, and which way it goes. Recorded before any model
    is asked or any request carried out."""

    TYPE: ClassVar[str] = "MessageReceived"
    SCHEMA_VERSION: ClassVar[int] = 2

    conversation: ConversationKey
    author_id: str
    author_name: str
    text: str
    platform_message_id: str
    # Tokens of the message as the model reads it: "author_name: text".
    token_count: int
    # Decided once, here; recovery carries it out (v1 messages read as addressed).
    route: Route


@attrs.frozen(kw_only=True)
class InboundReceived:
    """A person's message as a chat platform delivered it, recorded before the delivery is
    acknowledged. Which conversation it belongs to, if any, is worked out afterwards."""

    TYPE: ClassVar[str] = "InboundReceived"
    SCHEMA_VERSION: ClassVar[int] = 1

    platform: str  # "slack"
    channel: str
    ts: str  # the platform's id of the message
    thread_ts: str | None  # the thread it was posted in, if any
    author_id: str
    text: str  # as delivered, the platform's markup and all
    is_direct: bool
    mentions_me: bool


@attrs.frozen(kw_only=True)
class InboundIgnored:
    """A recorded inbound message that is not for Lukas, and why."""

    TYPE: ClassVar[str] = "InboundIgnored"
    SCHEMA_VERSION: ClassVar[int] = 1

    received: str  # the InboundReceived event's id
    reason: str


@attrs.frozen(kw_only=True)
class InboundFailed:
    """Working out where a recorded inbound message belongs failed; recovery tries again."""

    TYPE: ClassVar[str] = "InboundFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    received: str
    attempt: int
    reason: str


@attrs.frozen(kw_only=True)
class ReplyGenerated:
    """The model answered a message; not yet seen by anyone."""

    TYPE: ClassVar[str] = "ReplyGenerated"
    SCHEMA_VERSION: ClassVar[int] = 3

    reply_to: str
    # Whose message this answers: what was said to them is theirs to have forgotten.
    # None only for replies recorded before schema 3.
    person_id: str | None
    text: str
    provider: str
    model: str
    usage: Usage | None
    finish_reason: str
    latency_ms: int
    context_tokens: int
    token_count: int
    # From the request to the model's first piece of text, when the reply was streamed.
    first_text_ms: int | None


@attrs.frozen(kw_only=True)
class ReplyFailed:
    """No reply could be had from a model; `fallback_text` was sent instead."""

    TYPE: ClassVar[str] = "ReplyFailed"
    SCHEMA_VERSION: ClassVar[int] = 2

    reply_to: str
    person_id: str | None  # as in ReplyGenerated
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
class ReplyStreamStarted:
    """Lukas opened a message on the platform to write his reply into as the model writes
    it. Recorded before any text is sent, so a process killed mid-stream leaves a trace."""

    TYPE: ClassVar[str] = "ReplyStreamStarted"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class ReplyStreamClosed:
    """A streamed reply left open by a process that died was closed with a note that it
    was cut off; the message is then answered again, whole."""

    TYPE: ClassVar[str] = "ReplyStreamClosed"
    SCHEMA_VERSION: ClassVar[int] = 1

    reply_to: str
    platform_message_id: str
    reason: str


@attrs.frozen(kw_only=True)
class FeedbackGiven:
    """Someone pressed the good or bad button under one of Lukas's replies."""

    TYPE: ClassVar[str] = "FeedbackGiven"
    SCHEMA_VERSION: ClassVar[int] = 1

    # The reply's message on the platform (what the buttons were under).
    platform_message_id: str
    reply_to: str  # the message the reply answered, which names the reply
    model: str  # provider:model that wrote it
    person_id: str
    good: bool


@attrs.frozen(kw_only=True)
class AssistantThreadStarted:
    """Someone opened a thread with Lukas in Slack's assistant pane."""

    TYPE: ClassVar[str] = "AssistantThreadStarted"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str
    thread_ts: str
    user_id: str
    # The channel they were looking at when they opened it, if any.
    context_channel: str | None


@attrs.frozen(kw_only=True)
class AssistantThreadContextChanged:
    """The person moved to another channel with the assistant thread open."""

    TYPE: ClassVar[str] = "AssistantThreadContextChanged"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str
    thread_ts: str
    context_channel: str | None


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
    SCHEMA_VERSION: ClassVar[int] = 2

    # Who asked for it (None: the schedule): its caption and revised prompt may echo their
    # words, so they are sealed as theirs. None too for pictures recorded before schema 2.
    requester: str | None
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


@attrs.frozen(kw_only=True)
class MemberJoined:
    """Someone is on the team (first seen, or listed again after leaving)."""

    TYPE: ClassVar[str] = "MemberJoined"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    name: str
    real_name: str
    is_bot: bool
    timezone: str | None


@attrs.frozen(kw_only=True)
class MemberUpdated:
    """A member's profile changed: their name, time zone, or whether they are a bot."""

    TYPE: ClassVar[str] = "MemberUpdated"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    name: str
    real_name: str
    is_bot: bool
    timezone: str | None


@attrs.frozen(kw_only=True)
class MemberLeft:
    TYPE: ClassVar[str] = "MemberLeft"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    reason: str  # "deactivated", or "no longer listed"


@attrs.frozen(kw_only=True)
class CheckInScheduled:
    """When Lukas will next write to someone unasked, and the draw that chose the time."""

    TYPE: ClassVar[str] = "CheckInScheduled"
    SCHEMA_VERSION: ClassVar[int] = 1

    due: str  # ISO 8601
    interval: str  # the setting it was drawn from, e.g. "24h-48h"
    draw: float


@attrs.frozen(kw_only=True)
class CheckInPostponed:
    """A check-in fell due while Lukas had to stay quiet; `due` None: until resumed."""

    TYPE: ClassVar[str] = "CheckInPostponed"
    SCHEMA_VERSION: ClassVar[int] = 1

    due: str | None
    reason: str


@attrs.frozen(kw_only=True)
class CheckInWritten:
    """Lukas chose whom to check in with and wrote the message; appending it is the claim
    that makes one instance, and only one, send it."""

    TYPE: ClassVar[str] = "CheckInWritten"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    member_name: str
    text: str
    written_by: str  # `provider:model`, or "template" when no model could write it
    reason: str  # why this member: never contacted, or contacted longest ago


@attrs.frozen(kw_only=True)
class CheckInDelivered:
    TYPE: ClassVar[str] = "CheckInDelivered"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    conversation: ConversationKey
    platform_message_id: str


@attrs.frozen(kw_only=True)
class CheckInFailed:
    """A written check-in did not go out, and will not be sent again."""

    TYPE: ClassVar[str] = "CheckInFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    reason: str


@attrs.frozen(kw_only=True)
class CheckInSkipped:
    """A check-in fell due with nobody to write to."""

    TYPE: ClassVar[str] = "CheckInSkipped"
    SCHEMA_VERSION: ClassVar[int] = 1

    reason: str


@attrs.frozen(kw_only=True)
class CheckInOpened:
    """Lukas's check-in as the first words of a DM conversation, so the model sees what
    he asked when the member answers."""

    TYPE: ClassVar[str] = "CheckInOpened"
    SCHEMA_VERSION: ClassVar[int] = 1

    member_id: str
    text: str
    platform_message_id: str
    token_count: int


@attrs.frozen(kw_only=True)
class ConfigurationChanged:
    """An admin changed a setting at run time; it holds until changed again."""

    TYPE: ClassVar[str] = "ConfigurationChanged"
    SCHEMA_VERSION: ClassVar[int] = 1

    setting: str  # the environment variable's name, e.g. LUKAS_THREAD_PROBABILITY
    old_value: str
    new_value: str
    by: str


@attrs.frozen(kw_only=True)
class RequestDeclined:
    """Someone asked for what only admins may do; the attempt is remembered."""

    TYPE: ClassVar[str] = "RequestDeclined"
    SCHEMA_VERSION: ClassVar[int] = 1

    requester: str
    request: str  # what they asked for, e.g. "change thread probability to 0.5"
    reason: str


@attrs.frozen(kw_only=True)
class AnnouncementPosted:
    TYPE: ClassVar[str] = "AnnouncementPosted"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str  # the channel's id
    text: str
    by: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class AnnouncementFailed:
    TYPE: ClassVar[str] = "AnnouncementFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    channel: str  # as asked for: an id or a name
    text: str
    by: str
    reason: str


@attrs.frozen(kw_only=True)
class ReminderSet:
    TYPE: ClassVar[str] = "ReminderSet"
    SCHEMA_VERSION: ClassVar[int] = 1

    reminder_id: str
    number: int  # what its owner calls it in "cancel reminder 3"
    owner: str
    owner_name: str
    target_kind: str  # "person" or "channel"
    target: str  # a member id or a channel id or name
    target_name: str
    due: str  # ISO 8601
    text: str


@attrs.frozen(kw_only=True)
class ReminderCancelled:
    TYPE: ClassVar[str] = "ReminderCancelled"
    SCHEMA_VERSION: ClassVar[int] = 1

    reminder_id: str
    by: str


@attrs.frozen(kw_only=True)
class ReminderFiring:
    """An instance took a due reminder to send; the claim that makes it fire once."""

    TYPE: ClassVar[str] = "ReminderFiring"
    SCHEMA_VERSION: ClassVar[int] = 2

    reminder_id: str
    # The process that claimed it, so a claim it left when it died can be taken over.
    # None: claimed by a version that did not yet name its process (schema 1).
    by: str | None


@attrs.frozen(kw_only=True)
class ReminderDelivered:
    TYPE: ClassVar[str] = "ReminderDelivered"
    SCHEMA_VERSION: ClassVar[int] = 1

    reminder_id: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class ReminderFailed:
    """A reminder could not be delivered and will not be tried again."""

    TYPE: ClassVar[str] = "ReminderFailed"
    SCHEMA_VERSION: ClassVar[int] = 1

    reminder_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ForgettingRequested:
    """Someone asked for everything a person said, and was told, to be forgotten. Holds
    who and how, never what: the words themselves go with the person's keys."""

    TYPE: ClassVar[str] = "ForgettingRequested"
    SCHEMA_VERSION: ClassVar[int] = 1

    person_id: str
    requested_by: str  # the person, an admin's member id, or "command line"
    via: str  # "slack", "console" or "command line"
    # False: Lukas asked the requester to confirm first, until `confirm_by` (ISO 8601).
    confirmed: bool
    confirm_by: str | None


@attrs.frozen(kw_only=True)
class PersonForgotten:
    """Every data key of the person is deleted: their words in the log read as forgotten."""

    TYPE: ClassVar[str] = "PersonForgotten"
    SCHEMA_VERSION: ClassVar[int] = 1

    person_id: str
    requested_by: str
    keys_deleted: int


@attrs.frozen(kw_only=True)
class KeysExpired:
    """Retention dropped the keys of every period before `before`: what was said then is
    forgotten for everyone."""

    TYPE: ClassVar[str] = "KeysExpired"
    SCHEMA_VERSION: ClassVar[int] = 1

    before: str  # the first period kept, an ISO week such as "2026-W36"
    retention_days: int
    keys_deleted: int


DomainEvent = (
    MessageReceived
    | ReplyGenerated
    | ReplyFailed
    | ReplyDelivered
    | ReplyStreamStarted
    | ReplyStreamClosed
    | FeedbackGiven
    | AssistantThreadStarted
    | AssistantThreadContextChanged
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
    | MemberJoined
    | MemberUpdated
    | MemberLeft
    | CheckInScheduled
    | CheckInPostponed
    | CheckInWritten
    | CheckInDelivered
    | CheckInFailed
    | CheckInSkipped
    | CheckInOpened
    | ConfigurationChanged
    | RequestDeclined
    | AnnouncementPosted
    | AnnouncementFailed
    | ReminderSet
    | ReminderCancelled
    | ReminderFiring
    | ReminderDelivered
    | ReminderFailed
    | InboundReceived
    | InboundIgnored
    | InboundFailed
    | ForgettingRequested
    | PersonForgotten
    | KeysExpired
)

# Derived from the union, so adding an event is one edit: its class, and its name above.
EVENT_CLASSES: tuple[type[DomainEvent], ...] = typing.get_args(DomainEvent)
