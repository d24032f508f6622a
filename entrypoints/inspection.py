"""`lukas replay`, `lukas context` and `lukas conversations`: the log, read by people."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Sequence
from typing import TextIO

from lukas.adapters.event_codec import EventCodec
from lukas.application.context import ContextBuilder, context_at
from lukas.application.ports.checkpoints import Checkpoints
from lukas.application.ports.event_store import EventStore, RecordedEvent
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.conversation_list import (
    CONVERSATION_LIST,
    ConversationListProjection,
)
from lukas.application.projections.engagement_stats import EngagementStats
from lukas.application.projections.statistics import statistics
from lukas.application.reply_facts import ReplyFacts, reply_facts
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DomainEvent,
    KeysExpired,
    PersonForgotten,
    ReplyFailed,
    ReplyGenerated,
)
from lukas.domain.forgetting import FORGETTING_STREAM
from lukas.entrypoints.timeline import Display, TextTimeline

_BATCH = 500


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
    zone: dt.tzinfo = dt.UTC,
    display: Display | None = None,
) -> int:
    """Writes the timeline; returns how many events it showed. The text is fitted and
    coloured for a terminal unless `display` says otherwise; JSON lines never are."""
    codec = EventCodec()
    timeline = TextTimeline(display or Display.for_output(out, os.environ, zone))
    shown = 0
    async for recorded in _events(store, conversation, from_position, until_position):
        lines = [json_line(recorded, codec)] if as_json else timeline.lines(recorded)
        out.write("".join(line + "\n" for line in lines))
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
    facts = await reply_facts(store, key, entry.message_id)
    if as_json:
        messages = [
            {"role": m.role.value, "content": m.content, "tokens": m.tokens}
            for m in window.messages
        ]
        shown = {
            "messages": messages,
            "total_tokens": window.total_tokens,
            "forgotten": window.forgotten,
        }
        if facts is not None:
            shown["reply"] = _reply_json(facts)
        out.write(json.dumps(shown) + "\n")
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
    if window.forgotten:
        note += f"; {window.forgotten} forgotten message(s) left out (their words are gone)"
    out.write(
        f"total {window.total_tokens} tokens in {len(window.messages)} messages;"
        f" {window.dropped_pairs} older pair(s) left out{note}\n"
    )
    if facts is not None:
        out.write(_reply_line(facts) + "\n")


def _reply_line(facts: ReplyFacts) -> str:
    outcome = facts.outcome
    if isinstance(outcome, ReplyFailed):
        said = f"no reply ({outcome.kind.value}: {outcome.detail}); a fallback was sent"
    else:
        first = f", first text after {outcome.first_text_ms} ms" if outcome.first_text_ms else ""
        usage = f", {outcome.usage.total_tokens} tokens" if outcome.usage else ""
        model = f"{outcome.provider}:{outcome.model}"
        said = f"replied by {model} in {outcome.latency_ms} ms{first}{usage}"
    delivered = "delivered" if facts.delivered_as else "not delivered yet"
    return f"{said}; {delivered}; feedback: {facts.good} good, {facts.bad} bad"


def _reply_json(facts: ReplyFacts) -> dict[str, object]:
    outcome = facts.outcome
    reply: dict[str, object] = {"delivered_as": facts.delivered_as}
    if isinstance(outcome, ReplyGenerated):
        reply |= {
            "model": f"{outcome.provider}:{outcome.model}",
            "latency_ms": outcome.latency_ms,
            "first_text_ms": outcome.first_text_ms,
            "total_tokens": outcome.usage.total_tokens if outcome.usage else None,
        }
    else:
        reply |= {"failure": outcome.kind.value}
    return reply | {"feedback": {"good": facts.good, "bad": facts.bad}}


async def list_conversations(store: EventStore, checkpoints: Checkpoints, out: TextIO) -> int:
    listed = CheckpointedProjection(
        store, checkpoints, ConversationListProjection(), CONVERSATION_LIST
    )
    conversations, _ = await listed.current()
    await listed.save()
    for summary_ in sorted(conversations.values(), key=lambda s: s.last_position):
        forgotten = f" ({summary_.forgotten} forgotten)" if summary_.forgotten else ""
        out.write(
            f"{summary_.key}  {summary_.messages} message(s){forgotten},"
            f" {summary_.replies} reply(ies), {summary_.fallbacks} fallback(s);"
            f" last at position {summary_.last_position},"
            f" {summary_.last_activity:%Y-%m-%d %H:%M:%S}\n"
        )
    return len(conversations)


async def show_stats(store: EventStore, checkpoints: Checkpoints, out: TextIO) -> None:
    folded = statistics(store, checkpoints)
    (stats, engagement), _ = await folded.current()
    await folded.save()
    header = (
        f"{'day':<10}  {'provider/model':<24} {'msgs':>5} {'replies':>7} {'fallbk':>6}"
        f" {'tokens':>8} {'images':>6} {'failed':>6} {'posted':>6} {'cost $':>8}"
    )
    out.write(header + "\n")
    total = 0.0
    for (day, provider), row in sorted(stats.items()):
        total += row.cost_usd
        out.write(
            f"{day:<10}  {provider:<24} {row.messages:>5} {row.replies:>7} {row.fallbacks:>6}"
            f" {row.tokens:>8} {row.images:>6} {row.image_failures:>6} {row.images_posted:>6}"
            f" {row.cost_usd:>8.3f}\n"
        )
    out.write(f"total spent on pictures: ${total:.3f}\n")
    out.write("\n" + engagement_report(engagement))
    out.write(forgetting_report([r.event for r in await store.read_stream(FORGETTING_STREAM)]))


def forgetting_report(events: Sequence[DomainEvent]) -> str:
    """Whose words were forgotten, and which weeks retention dropped (ADR 27)."""
    people = sorted({e.person_id for e in events if isinstance(e, PersonForgotten)})
    expired = [e for e in events if isinstance(e, KeysExpired)]
    lines = [f"forgotten on request: {len(people)} {'person' if len(people) == 1 else 'people'}"]
    if people:
        lines[0] += f" ({', '.join(people)}): their words read as [forgotten]"
    if expired:
        last = expired[-1]
        lines.append(
            f"forgotten by retention ({last.retention_days} days): every word before {last.before}"
        )
    return "\n".join(lines) + "\n"


def engagement_report(stats: EngagementStats) -> str:
    """Threads joined, reactions and check-ins per member, as `lukas stats` shows them."""
    rate = stats.participation_rate
    lines = [
        f"new threads judged: {stats.threads_judged}, joined: {stats.threads_joined}"
        f" (participation {'-' if rate is None else f'{rate:.0%}'}), reactions: {stats.reactions}",
        "check-ins per member:",
    ]
    shown = stats.members_shown()
    for member_id, member in shown:
        failed = f" ({member.failed} failed)" if member.failed else ""
        lines.append(f"  {member.name} ({member_id}): {member.delivered}{failed}")
    if not shown:
        lines.append("  nobody yet")
    lines.append("feedback on replies (good / bad), by day and model:")
    rated = [
        (key, tally) for key, tally in sorted(stats.feedback.items()) if tally.good or tally.bad
    ]
    for (day, model), tally in rated:
        lines.append(f"  {day}  {model:<32} {tally.good:>4} good {tally.bad:>4} bad")
    if not rated:
        lines.append("  none yet")
    return "\n".join(lines) + "\n"
