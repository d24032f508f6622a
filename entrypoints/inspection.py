"""`lukas replay`, `lukas context` and `lukas conversations`: the log, read by people."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TextIO

from lukas.adapters.event_codec import EventCodec
from lukas.application.context import ContextBuilder, context_at
from lukas.application.ports.event_store import EventStore, RecordedEvent
from lukas.application.projections.conversation_list import ConversationListProjection
from lukas.application.projections.projection import rebuild
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    AdminAlerted,
    CircuitStateChanged,
    ConversationStarted,
    DeliveryClaimed,
    DomainEvent,
    MessageReceived,
    PersonNamed,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
)

_BATCH = 500


def _quote(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return json.dumps(
        flat if len(flat) <= limit else flat[: limit - 1] + "\u2026", ensure_ascii=False
    )


def _short(event_id: str) -> str:
    return event_id[:8]


def summary(event: DomainEvent) -> str:
    """The essential fields of an event, on one line."""
    match event:
        case MessageReceived():
            return (
                f"{event.author_name} ({event.author_id}) said {_quote(event.text)}"
                f" [{event.token_count} tokens, platform id {event.platform_message_id}]"
            )
        case ReplyGenerated():
            usage = (
                f"usage {event.usage.prompt_tokens}+{event.usage.completion_tokens}"
                if event.usage
                else "no usage reported"
            )
            return (
                f"reply to {_short(event.reply_to)} from {event.provider}:{event.model}"
                f" {_quote(event.text)} [{event.finish_reason}, {event.latency_ms} ms,"
                f" context {event.context_tokens} tokens, {usage}]"
            )
        case ReplyFailed():
            return (
                f"no reply to {_short(event.reply_to)}: {event.kind.value} after"
                f" {event.attempts} attempt(s) ({event.detail}); sent {_quote(event.fallback_text)}"
            )
        case ReplyDelivered():
            return f"delivered reply to {_short(event.reply_to)} as {event.platform_message_id}"
        case DeliveryClaimed():
            return f"took over delivering the reply to {_short(event.reply_to)}"
        case CircuitStateChanged():
            return (
                f"circuit for {event.dependency}: {event.previous} -> {event.current}"
                f" ({event.detail})"
            )
        case ConversationStarted():
            return f"new conversation {event.conversation}"
        case PersonNamed():
            return f"{event.person_id} is called {_quote(event.display_name)}"
        case AdminAlerted():
            admins = ", ".join(event.admins) or "no admins configured"
            return f"alerted {admins} about {event.kind.value}: {_quote(event.text, 120)}"


def text_line(recorded: RecordedEvent) -> str:
    return (
        f"{recorded.position:>6}  {recorded.recorded_at:%Y-%m-%d %H:%M:%S}  "
        f"{recorded.stream_id}  {recorded.event.TYPE}  {summary(recorded.event)}"
    )


def json_line(recorded: RecordedEvent, codec: EventCodec) -> str:
    return json.dumps(
        {
            "position": recorded.position,
            "recorded_at": recorded.recorded_at.isoformat(),
            "stream_id": recorded.stream_id,
            "version": recorded.version,
            "event_id": recorded.event_id,
            "type": recorded.event.TYPE,
            "schema_version": recorded.event.SCHEMA_VERSION,
            "data": codec.to_json_object(recorded.event),
            "metadata": {
                "correlation_id": recorded.metadata.correlation_id,
                "causation_id": recorded.metadata.causation_id,
            },
        },
        ensure_ascii=False,
    )


async def _events(
    store: EventStore,
    conversation: ConversationKey | None,
    from_position: int,
    until_position: int | None,
) -> AsyncIterator[RecordedEvent]:
    if conversation is not None:
        for recorded in await store.read_stream(conversation.stream_id):
            if recorded.position > from_position and (
                until_position is None or recorded.position <= until_position
            ):
                yield recorded
        return
    position = from_position
    while True:
        batch = await store.read_all(position, until_position, limit=_BATCH)
        for recorded in batch:
            yield recorded
        if len(batch) < _BATCH:
            return
        position = batch[-1].position


async def replay(
    store: EventStore,
    out: TextIO,
    *,
    conversation: ConversationKey | None = None,
    from_position: int = 0,
    until_position: int | None = None,
    as_json: bool = False,
) -> int:
    """Writes the timeline; returns how many events it showed."""
    codec = EventCodec()
    shown = 0
    async for recorded in _events(store, conversation, from_position, until_position):
        out.write((json_line(recorded, codec) if as_json else text_line(recorded)) + "\n")
        shown += 1
    return shown


async def show_context(
    store: EventStore,
    builder: ContextBuilder,
    key: ConversationKey,
    at: int | None,
    out: TextIO,
    *,
    encoding: str,
    as_json: bool = False,
) -> None:
    window, entry = await context_at(store, builder, key, at)
    if as_json:
        messages = [
            {"role": m.role.value, "content": m.content, "tokens": m.tokens}
            for m in window.messages
        ]
        out.write(json.dumps({"messages": messages, "total_tokens": window.total_tokens}) + "\n")
        return
    limits = builder.limits
    out.write(
        f"Context for {key}, answering the message at position {entry.position}"
        f" (at most {limits.max_pairs} pairs and {limits.max_tokens} tokens; {encoding}):\n"
    )
    for number, message in enumerate(window.messages, 1):
        lines = message.content.splitlines() or [""]
        out.write(f"{number:>3}  {message.role.value:<9} {message.tokens:>6}  {lines[0]}\n")
        for more in lines[1:]:
            out.write(f"{'':>3}  {'':<9} {'':>6}  {more}\n")
    note = "" if window.fits else "; the message alone is over the budget"
    out.write(
        f"total {window.total_tokens} tokens in {len(window.messages)} messages;"
        f" {window.dropped_pairs} older pair(s) left out{note}\n"
    )


async def list_conversations(store: EventStore, out: TextIO) -> int:
    conversations, _ = await rebuild(store, ConversationListProjection())
    for summary_ in sorted(conversations.values(), key=lambda s: s.last_position):
        out.write(
            f"{summary_.key}  {summary_.messages} message(s), {summary_.replies} reply(ies),"
            f" {summary_.fallbacks} fallback(s); last at position {summary_.last_position},"
            f" {summary_.last_activity:%Y-%m-%d %H:%M:%S}\n"
        )
    return len(conversations)
