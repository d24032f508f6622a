"""`lukas replay` as text: each stream named once above its events, fitted to a terminal.

Piped, the lines are whole and plain, for grep and for files; on a terminal they are cut to
its width and coloured, unless NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from collections.abc import Mapping
from typing import TextIO

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.entrypoints.event_summaries import QUOTE_LIMIT, summary

ELLIPSIS = "\u2026"
# Shorter than this, a quote says too little to be worth keeping over the fields after it.
_SHORTEST_QUOTE = 12
# Types that are a warning rather than a failure; failures are the types ending in "Failed".
_WARNINGS = frozenset(
    {"AdminAlerted", "CircuitStateChanged", "RequestDeclined", "InboundIgnored", "CheckInSkipped"}
)

_BOLD, _DIM, _RED, _YELLOW, _CYAN = "1", "2", "31", "33", "36"


@attrs.frozen
class Display:
    """How the text timeline is shown. `width` None: lines are never cut."""

    zone: dt.tzinfo = dt.UTC
    width: int | None = None
    colour: bool = False

    @classmethod
    def for_output(cls, out: TextIO, environ: Mapping[str, str], zone: dt.tzinfo) -> Display:
        if not out.isatty():
            return cls(zone=zone)
        return cls(
            zone=zone,
            width=shutil.get_terminal_size().columns,
            colour=not environ.get("NO_COLOR"),  # set and empty does not count, says the spec
        )


class TextTimeline:
    """Turns events, in log order, into lines: a heading each time the stream changes."""

    def __init__(self, display: Display) -> None:
        self._display = display
        self._stream: str | None = None

    def lines(self, recorded: RecordedEvent) -> list[str]:
        lines = []
        if recorded.stream_id != self._stream:
            self._stream = recorded.stream_id
            # Never cut: the key is what `lukas context` and `--conversation` are given.
            lines.append(self._paint(recorded.stream_id, _BOLD))
        lines.append(self._event_line(recorded))
        return lines

    def _event_line(self, recorded: RecordedEvent) -> str:
        at = recorded.recorded_at.astimezone(self._display.zone)
        where = f"  {recorded.position:>6}  {at:%Y-%m-%d %H:%M:%S}"
        kind = recorded.event.TYPE
        text = self._fitted_summary(recorded, columns(f"{where}  {kind}  "))
        return f"{self._paint(where, _DIM)}  {self._paint(kind, _colour_of(kind))}  {text}"

    def _fitted_summary(self, recorded: RecordedEvent, used: int) -> str:
        whole = summary(recorded.event)
        if self._display.width is None:
            return whole
        room = self._display.width - used
        if columns(whole) <= room:
            return whole
        # Shorten the quoted texts first, so the fields after them (tokens, route) stay:
        # the longest quotes that fit, found by halving (a summary only grows with them).
        low, high = _SHORTEST_QUOTE, QUOTE_LIMIT - 1
        while low < high:
            middle = (low + high + 1) // 2
            if columns(summary(recorded.event, middle)) <= room:
                low = middle
            else:
                high = middle - 1
        shortened = summary(recorded.event, low)
        if columns(shortened) <= room:
            return shortened
        # Too narrow to keep the end anyway: then the quote, what was said, is worth more.
        # The end goes, never the columns before the summary.
        return cut(whole, max(room, 1))

    def _paint(self, text: str, colour: str) -> str:
        return f"\x1b[{colour}m{text}\x1b[0m" if self._display.colour else text


def tone_of(kind: str) -> str:
    """ "failure", "warning" or "info": how loudly an event of this type is shown."""
    if kind.endswith("Failed"):
        return "failure"
    return "warning" if kind in _WARNINGS else "info"


def _colour_of(kind: str) -> str:
    return {"failure": _RED, "warning": _YELLOW}.get(tone_of(kind), _CYAN)


def columns(text: str) -> int:
    """How many terminal columns the text takes: wide (East Asian) characters take two,
    combining marks none."""
    return sum(_width(ch) for ch in text)


def _width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1


def cut(text: str, room: int) -> str:
    """The text in at most `room` columns, ending in an ellipsis if anything was left out."""
    if columns(text) <= room:
        return text
    kept, used = [], 0
    for ch in text:
        used += _width(ch)
        if used > room - 1:
            break
        kept.append(ch)
    return "".join(kept) + ELLIPSIS
