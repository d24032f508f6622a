"""One conversation as people read it back: who said what, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.events import (
    CheckInOpened,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
)

LUKAS = "Lukas"

Kind = Literal["message", "reply", "fallback", "check-in"]


@attrs.frozen
class Line:
    event_id: str
    position: int
    at: dt.datetime
    kind: Kind
    author: str
    author_id: str | None  # None for Lukas
    text: str
    reply_to: str | None = None  # the message answered, for a reply or a fallback
    # A reply: the provider:model that wrote it. A fallback: why no model reply was had.
    note: str | None = None
    # Whether Lukas's words reached the platform; None for what people said.
    delivered: bool | None = None


def transcript(events: Iterable[RecordedEvent]) -> list[Line]:
    """The conversation stream's events as lines, in the order they were recorded."""
    lines: list[Line] = []
    replies: dict[str, int] = {}
    for recorded in events:
        event = recorded.event
        at, position, event_id = recorded.recorded_at, recorded.position, recorded.event_id
        match event:
            case MessageReceived():
                lines.append(
                    Line(
                        event_id,
                        position,
                        at,
                        "message",
                        event.author_name,
                        event.author_id,
                        event.text,
                    )
                )
            case CheckInOpened():
                # Recorded once the check-in was sent.
                lines.append(
                    Line(
                        event_id, position, at, "check-in", LUKAS, None, event.text, delivered=True
                    )
                )
            case ReplyGenerated():
                replies[event.reply_to] = len(lines)
                lines.append(
                    Line(
                        event_id,
                        position,
                        at,
                        "reply",
                        LUKAS,
                        None,
                        event.text,
                        reply_to=event.reply_to,
                        note=f"{event.provider}:{event.model}",
                        delivered=False,
                    )
                )
            case ReplyFailed():
                replies[event.reply_to] = len(lines)
                lines.append(
                    Line(
                        event_id,
                        position,
                        at,
                        "fallback",
                        LUKAS,
                        None,
                        event.fallback_text,
                        reply_to=event.reply_to,
                        note=event.kind.value,
                        delivered=False,
                    )
                )
            case ReplyDelivered() if event.reply_to in replies:
                index = replies[event.reply_to]
                lines[index] = attrs.evolve(lines[index], delivered=True)
            case _:
                pass
    return lines
