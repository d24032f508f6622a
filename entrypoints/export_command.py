"""`lukas export`: one conversation as a transcript, in Markdown or as JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import TextIO

from lukas.application.ports.event_store import EventStore
from lukas.application.projections.transcript import Line, transcript
from lukas.domain.conversation_key import ConversationKey
from lukas.entrypoints.times import in_words, zone_name


async def export(
    store: EventStore,
    key: ConversationKey,
    out: TextIO,
    err: TextIO,
    *,
    timezone: dt.tzinfo,
    as_json: bool,
) -> int:
    lines = transcript(await store.read_stream(key.stream_id))
    if not lines:
        err.write(f"lukas: no conversation {key} in this log (see `lukas conversations`)\n")
        return 1
    out.write(as_json_text(lines, timezone) if as_json else as_markdown(key, lines, timezone))
    return 0


def as_json_text(lines: list[Line], timezone: dt.tzinfo) -> str:
    objects = [
        {
            "id": line.event_id,
            "position": line.position,
            "at": line.at.astimezone(timezone).isoformat(),
            "kind": line.kind,
            "author": line.author,
            "author_id": line.author_id,
            "text": line.text,
            "reply_to": line.reply_to,
            "note": line.note,
            "delivered": line.delivered,
        }
        for line in lines
    ]
    return json.dumps(objects, ensure_ascii=False, indent=2) + "\n"


def as_markdown(key: ConversationKey, lines: list[Line], timezone: dt.tzinfo) -> str:
    parts = [f"# Conversation {key}\n\nTimes in {zone_name(timezone)}.\n"]
    for line in lines:
        when = in_words(line.at, timezone, year=True).removesuffix(f" ({zone_name(timezone)})")
        parts.append(f"**{line.author}**{_mark(line)}, {when}\n\n{_quoted(line.text)}\n")
    return "\n".join(parts)


def _mark(line: Line) -> str:
    match line.kind:
        case "reply":
            marks = [f"reply by {line.note}"]
        case "fallback":
            marks = [f"fallback: {line.note}"]
        case "check-in":
            marks = ["check-in"]
        case "message":
            return ""
    if line.delivered is False:
        marks.append("not delivered")
    return " (" + "; ".join(marks) + ")"


def _quoted(text: str) -> str:
    # Each line quoted, so what people wrote never turns into the transcript's own headings.
    return "\n".join(f"> {row}" if row else ">" for row in (text.splitlines() or [""]))
