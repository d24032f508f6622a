"""When Lukas speaks up unasked: the odds, the draws, active hours. Pure: draws come in.

A decision records its probabilities and the random draws that settled it, so `lukas
replay` can show why Lukas joined a thread, reacted, or stayed quiet.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

# Friendly, unambiguous, and present in every Slack workspace.
FRIENDLY_EMOJI = ("wave", "tada", "sparkles", "raised_hands", "clap", "bear", "heart", "smile")

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class ActiveHoursError(ValueError):
    pass


def _probability(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, not {value}")


@attrs.frozen
class EngagementOdds:
    thread_probability: float = attrs.field(default=0.20, validator=_probability)
    reaction_probability: float = attrs.field(default=0.15, validator=_probability)
    busy_thread_messages: int = 10


@attrs.frozen
class Draws:
    """Uniform draws in [0, 1): whether to reply, whether to react, which emoji."""

    thread: float
    reaction: float
    emoji: float


@attrs.frozen
class Judgement:
    reply: bool
    reaction: str | None
    reason: str


def judge_thread(odds: EngagementOdds, draws: Draws, replies_so_far: int) -> Judgement:
    if replies_so_far >= odds.busy_thread_messages:
        return Judgement(False, None, f"busy thread ({replies_so_far} replies)")
    reply = draws.thread < odds.thread_probability
    react = draws.reaction < odds.reaction_probability
    emoji = FRIENDLY_EMOJI[min(int(draws.emoji * len(FRIENDLY_EMOJI)), len(FRIENDLY_EMOJI) - 1)]
    reason = (
        f"reply: draw {draws.thread:.3f} {_vs(reply)} {odds.thread_probability},"
        f" react: draw {draws.reaction:.3f} {_vs(react)} {odds.reaction_probability}"
    )
    return Judgement(reply, emoji if react else None, reason)


def _vs(happened: bool) -> str:
    return "<" if happened else ">="


@attrs.frozen
class ActiveHours:
    """Weekday hours in the team's time zone when Lukas may speak unasked; None: always."""

    start: dt.time | None
    end: dt.time | None

    @classmethod
    def parse(cls, text: str) -> ActiveHours:
        """'08:00-18:00' (weekdays) or 'always'."""
        if text.strip().lower() == "always":
            return cls(None, None)
        match = _HOURS.match(text.strip())
        if match is None:
            raise ActiveHoursError(f"not active hours: {text!r} (e.g. 08:00-18:00, or always)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ActiveHoursError(f"not a time of day in {text!r}")
        start = dt.time(h1, m1)
        end = dt.time.max if h2 == 24 else dt.time(h2, m2)
        if end <= start:
            raise ActiveHoursError(f"active hours must end after they start: {text!r}")
        return cls(start, end)

    def allows(self, local: dt.datetime) -> bool:
        if self.start is None or self.end is None:
            return True
        return local.weekday() < 5 and self.start <= local.time() < self.end

    def next_opening(self, local: dt.datetime) -> dt.datetime:
        """The first moment at or after `local` when Lukas may speak unasked."""
        if self.start is None or self.allows(local):
            return local
        for days in range(8):
            day = local.date() + dt.timedelta(days=days)
            opening = dt.datetime.combine(day, self.start, tzinfo=local.tzinfo)
            if day.weekday() < 5 and opening > local:
                return opening
        raise AssertionError("a weekday comes within a week")  # pragma: no cover
