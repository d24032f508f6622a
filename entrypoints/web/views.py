"""What the pages show, worked out from events: plain values for the templates, which
escape every text they put on a page (people's messages are untrusted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lukas.application.context import ContextBuilder
from lukas.application.identity import feedback_stream_id
from lukas.application.ports.event_store import EventStore, RecordedEvent
from lukas.application.projections.conversation_history import history_from
from lukas.application.streams import state_of
from lukas.domain.context_window import ContextWindow
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    CheckInOpened,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
)
from lukas.domain.feedback import FEEDBACK
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
    delivered_as: str | None = None  # the reply's platform message, once delivered
    good: int = 0  # the feedback buttons' standing verdicts on it
    bad: int = 0


@attrs.frozen
class Exchanges:
    shown: list[Exchange]
    earlier: int | None  # the position to show the exchanges before, if there are any


async def with_feedback(store: EventStore, shown: Sequence[Exchange]) -> None:
    """Each delivered reply's good and bad verdicts, from its feedback stream."""
    for exchange in shown:
        if exchange.delivered_as is None:
            continue
        state, _ = await state_of(store, feedback_stream_id(exchange.delivered_as), FEEDBACK)
        exchange.good = sum(state.verdicts.values())
        exchange.bad = len(state.verdicts) - exchange.good


def exchanges(
    events: Sequence[RecordedEvent],
    builder: ContextBuilder,
    zone: dt.tzinfo,
    *,
    before: int | None = None,
    most: int = 50,
) -> Exchanges:
    """At most `most` of the conversation's exchanges before position `before` (the newest,
    without it), in order; each message's context is built as `lukas context` builds it for
    that message's position, only for those shown."""
    entries = history_from(events)
    by_message: dict[str, Exchange] = {}
    ids: dict[int, str] = {}
    every: list[Exchange] = []
    for recorded in events:
        event = recorded.event
        at = f"{recorded.recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
        if isinstance(event, MessageReceived):
            exchange = Exchange(recorded.position, at, event)
            by_message[recorded.event_id] = exchange
            ids[recorded.position] = recorded.event_id
            every.append(exchange)
        elif isinstance(event, CheckInOpened):
            every.append(Exchange(recorded.position, at, None, opening=event))
        elif isinstance(event, ReplyGenerated | ReplyFailed | ReplyDelivered):
            answered = by_message.get(event.reply_to)
            if answered is None:
                continue
            if isinstance(event, ReplyGenerated):
                answered.reply = event
            elif isinstance(event, ReplyFailed):
                answered.failure = event
            else:
                answered.delivered, answered.delivered_as = True, event.platform_message_id
    window = [x for x in every if before is None or x.position < before]
    shown = window[-most:]
    for exchange in shown:
        if exchange.message is not None:
            exchange.context = builder.build(entries, ids[exchange.position])
    earlier = shown[0].position if len(window) > len(shown) else None
    return Exchanges(shown, earlier)
