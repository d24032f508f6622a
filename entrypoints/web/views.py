"""What the pages show, worked out from events: plain values for the templates, which
escape every text they put on a page (people's messages are untrusted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lukas.application.context import ContextBuilder
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.conversation_history import history_from
from lukas.domain.context_window import ContextWindow
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    CheckInOpened,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
)
from lukas.entrypoints.event_summaries import summary
from lukas.entrypoints.timeline import tone_of


@attrs.frozen
class TimelineRow:
    position: int
    at: str
    stream: str
    kind: str
    text: str
    tone: str  # "failure", "warning" or "info"
    conversation: str | None  # the conversation's key, for a link to it


def timeline_row(recorded: RecordedEvent, zone: dt.tzinfo) -> TimelineRow:
    key = ConversationKey.from_stream_id(recorded.stream_id)
    return TimelineRow(
        position=recorded.position,
        at=f"{recorded.recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}",
        stream=recorded.stream_id,
        kind=recorded.event.TYPE,
        text=summary(recorded.event),
        tone=tone_of(recorded.event.TYPE),
        conversation=str(key) if key is not None else None,
    )


@attrs.define
class Exchange:
    """A message and what became of it, with the context the model was (or would be) sent."""

    position: int
    at: str
    message: MessageReceived | None  # None: Lukas's own opening of a check-in
    opening: CheckInOpened | None = None
    context: ContextWindow | None = None
    reply: ReplyGenerated | None = None
    failure: ReplyFailed | None = None
    delivered: bool = False


def exchanges(
    events: Sequence[RecordedEvent], builder: ContextBuilder, zone: dt.tzinfo
) -> list[Exchange]:
    """The conversation's exchanges in order; each message's context is built as `lukas
    context` builds it for that message's position."""
    entries = history_from(events)
    by_message: dict[str, Exchange] = {}
    shown: list[Exchange] = []
    for recorded in events:
        event = recorded.event
        at = f"{recorded.recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
        if isinstance(event, MessageReceived):
            exchange = Exchange(recorded.position, at, event)
            exchange.context = builder.build(entries, recorded.event_id)
            by_message[recorded.event_id] = exchange
            shown.append(exchange)
        elif isinstance(event, CheckInOpened):
            shown.append(Exchange(recorded.position, at, None, opening=event))
        elif isinstance(event, ReplyGenerated | ReplyFailed | ReplyDelivered):
            answered = by_message.get(event.reply_to)
            if answered is None:
                continue
            if isinstance(event, ReplyGenerated):
                answered.reply = event
            elif isinstance(event, ReplyFailed):
                answered.failure = event
            else:
                answered.delivered = True
    return shown
