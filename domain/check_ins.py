"""Lukas writing to a team member unasked: how often, to whom, and what he says if no model
can write it. Pure: draws and times come in.

Fair rotation means everyone hears from Lukas in turn: members never checked in with come
first (in the order they joined the roster), then whoever was checked in with longest ago.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    # Only for annotations: the roster's events import the routes, whose requests read the
    # settings table, which reads the check-in interval from here.
    from lukas.domain.roster import Member

_PART = r"(\d+(?:\.\d+)?)\s*([smhd])"
_INTERVAL = re.compile(rf"^{_PART}(?:\s*-\s*{_PART})?$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A floor that keeps a typo such as "1s" from flooding the team, while tests can still
# use a short interval.
MIN_INTERVAL = dt.timedelta(seconds=1)
# A ceiling that keeps the next due time a date the calendar has (and "99999d" from
# overflowing): a check-in less than once a year is no check-in.
MAX_INTERVAL = dt.timedelta(days=365)


class IntervalError(ValueError):
    pass


@attrs.frozen
class CheckInInterval:
    """How long after one check-in the next is due: a fixed time or a random one in a range."""

    low: dt.timedelta
    high: dt.timedelta
    text: str

    @classmethod
    def parse(cls, text: str) -> CheckInInterval:
        """'30s', '90m', '24h', '1.5d', or a range such as '24h-48h'."""
        match = _INTERVAL.match(text.strip().lower())
        if match is None:
            raise IntervalError(
                f"not an interval: {text!r} (e.g. 90m, 24h, or a range such as 24h-48h)"
            )
        low = _duration(match.group(1), match.group(2))
        high = _duration(match.group(3), match.group(4)) if match.group(3) else low
        if high > MAX_INTERVAL or low > MAX_INTERVAL:
            raise IntervalError(f"an interval must be at most 365d, not {text!r}")
        if low < MIN_INTERVAL:
            raise IntervalError(f"an interval must be at least 1s, not {text!r}")
        if high < low:
            raise IntervalError(f"the range must go from shorter to longer: {text!r}")
        return cls(low, high, text.strip())

    def pick(self, draw: float) -> dt.timedelta:
        """The wait for a uniform draw in [0, 1)."""
        return self.low + (self.high - self.low) * min(max(draw, 0.0), 1.0)


def _duration(amount: str, unit: str) -> dt.timedelta:
    seconds = float(amount) * _SECONDS[unit]
    # Anything past the ceiling reads as just past it, so the caller can refuse it in words.
    return dt.timedelta(seconds=min(seconds, (MAX_INTERVAL * 2).total_seconds()))


@attrs.frozen
class Choice:
    member: Member
    reason: str


def choose_member(
    roster: Sequence[Member],
    last_checked_in: Mapping[str, dt.datetime],
    lukas_id: str,
) -> Choice | None:
    """Whom to check in with next; None when nobody can be written to.

    `roster` in the order members joined; `last_checked_in` holds when each member last got
    a check-in. Bots, deactivated members and Lukas himself are never chosen.
    """
    candidates = [m for m in roster if m.reachable and m.member_id != lukas_id]
    if not candidates:
        return None
    for member in candidates:
        if member.member_id not in last_checked_in:
            return Choice(member, "never checked in with")
    member = min(candidates, key=lambda m: last_checked_in[m.member_id])
    last = last_checked_in[member.member_id]
    return Choice(member, f"checked in with longest ago ({last.isoformat(timespec='minutes')})")


def part_of_day(local: dt.datetime) -> str:
    hour = local.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def check_in_instruction(name: str, local: dt.datetime) -> str:
    """What the model is asked for: a check-in that fits the member's time of day."""
    return (
        f"Write a short, friendly check-in direct message to {name}, a member of the research"
        f" team, to open a conversation. It is {local.strftime('%A')} {part_of_day(local)}"
        f" ({local.strftime('%H:%M')}) where they are. Ask how they are or how their work is"
        " going, in one or two sentences, in your own voice. Write only the message."
    )


_TEMPLATES = {
    "morning": "Good morning, {name}! Lukas here. How is your day starting? 🐻",
    "afternoon": "Hi {name}! Lukas here, checking in. How is your afternoon going? 🐻",
    "evening": "Good evening, {name}! Lukas here. How did today go? 🐻",
    "night": "Hi {name}! Lukas here, checking in. I hope you're doing well. 🐻",
}


def template_check_in(name: str, local: dt.datetime) -> str:
    """The check-in Lukas sends when no model can write one."""
    return _TEMPLATES[part_of_day(local)].format(name=name)
