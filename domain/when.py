"""Times people type to Lukas: "in 30 minutes", "3pm", "tomorrow at 9am", "friday 15:00".

Reminders and pauses are asked for in words, and the words must name one moment, the same
one on every replay: everything here is a function of the text and of `now`, which comes
in aware, in the team's time zone. Elapsed times ("in 2 hours") are added in UTC so they
stay right across a daylight-saving change; wall-clock times ("9am tomorrow") are built as
local wall time, so 9am stays 9am whatever the offset is that day.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

DEFAULT_HOUR = 9  # "tomorrow", "friday", "2026-12-01": the start of a working day
EXAMPLES = "try '3pm', '14:30', 'in 30 minutes' or 'tomorrow at 9am'"
# A time phrase is a few words: longer text is not one, and is not worth the regexes.
_MAX_CHARACTERS = 80
_MAX_PHRASE_WORDS = 8

_MINUTES_PER_UNIT = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 60 * 24),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 60 * 24 * 7),
}
# One part of a duration: a count and a unit, "90m", "1.5 hours", "an hour", "half an hour".
# Only a number may be glued to its unit: "an d" is not a day.
_PART = re.compile(r"(?P<count>[0-9]{1,6}(?:\.[0-9]{1,2})?\s*|(?:half\s+)?an?\s+)(?P<unit>[a-z]+)")
# What may sit between parts: "1 hour and 30 minutes", "1h, 30m", "1h30m".
_BETWEEN_PARTS = re.compile(r"\s*,?\s*(?:and\s+)?")

_WEEKDAYS = {
    **dict.fromkeys(("monday", "mon"), 0),
    **dict.fromkeys(("tuesday", "tues", "tue"), 1),
    **dict.fromkeys(("wednesday", "wed"), 2),
    **dict.fromkeys(("thursday", "thurs", "thur", "thu"), 3),
    **dict.fromkeys(("friday", "fri"), 4),
    **dict.fromkeys(("saturday", "sat"), 5),
    **dict.fromkeys(("sunday", "sun"), 6),
}
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DAY = (
    r"today|tonight|tomorrow|(?:(?:next|this)\s+)?(?:"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")|"
    + _ISO_DATE
)
# The day first, then perhaps "at" and a time: "tomorrow", "friday at 3pm", "2026-12-01 09:00".
_DAY_FIRST = re.compile(rf"(?P<day>{_DAY})(?:\s+(?P<at>at\s+)?(?P<clock>.+))?")
# A time, then perhaps "on", then the day: "9am tomorrow", "3pm on friday".
_DAY_LAST = re.compile(rf"(?P<clock>.+?)\s+(?:on\s+)?(?P<day>{_DAY})")
# An hour, perhaps minutes, perhaps am/pm: "3pm", "3 pm", "3:30pm", "14:30", "9".
_CLOCK = re.compile(r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2}))?\s*(?P<half>am|pm)?")
# Dotted forms written the way people write them: "9 a.m." reads as "9 am".
_DOTTED_HALF = re.compile(r"(?<=[0-9 ])([ap])\.m\.?")
# Before a time phrase inside a sentence: "set a reminder for 3pm", "submit it by friday".
_LEADING_PREPOSITION = re.compile(r"^(?:for|by)\s+", re.IGNORECASE)
# Joins a time phrase to what it is about: "in 30 minutes to check", "tomorrow about X".
_JOINER = re.compile(r"(?:to|about|that)(?:\s+|$)", re.IGNORECASE)
_EDGE_PUNCTUATION = ",;:-\u2013\u2014"


class WhenError(ValueError):
    """The text is not a time Lukas can read; the message says why, for the person."""


class _NearMissError(WhenError):
    """Shaped like a time but wrong ("25pm", "today at 9am" after 9): a time was meant.

    `find_when` stops at these rather than settling for a shorter phrase, so "tomorrow at
    25pm" is an error, not 09:00 tomorrow with "at 25pm" left over.
    """


def parse_duration(text: str) -> dt.timedelta:
    """'30 minutes', '2h', '1h30m', 'an hour', 'half an hour', '1.5 hours', '1 week'."""
    said = _normalise(text)
    minutes, position, parts = 0.0, 0, 0
    while position < len(said) <= _MAX_CHARACTERS:
        between = _BETWEEN_PARTS.match(said, position) if parts else None
        part = _PART.match(said, between.end() if between else position)
        if part is None or part["unit"] not in _MINUTES_PER_UNIT:
            break
        minutes += _count(part["count"]) * _MINUTES_PER_UNIT[part["unit"]]
        position, parts = part.end(), parts + 1
    if not parts or position != len(said):
        raise WhenError(
            f"I couldn't read '{_shown(text)}' as a length of time;"
            " try '30 minutes', '2 hours' or '1h30m'"
        )
    if minutes <= 0:
        raise _NearMissError("that's no time at all; try 'in 5 minutes'")
    return dt.timedelta(minutes=minutes)


def parse_when(text: str, now: dt.datetime) -> dt.datetime:
    """The moment `text` names, aware in `now`'s zone and strictly after `now`."""
    zone = now.tzinfo
    if zone is None:
        raise ValueError("now must be timezone-aware, in the team's zone")
    said = _normalise(text)
    if not said:
        raise WhenError(f"I couldn't find a time there; {EXAMPLES}")
    try:
        moment = _moment(said, now, zone) if len(said) <= _MAX_CHARACTERS else None
        passed = moment is not None and moment.astimezone(dt.UTC) <= now.astimezone(dt.UTC)
    except OverflowError:  # past either end of the calendar: year 1 or year 9999
        raise _NearMissError("that's further away than my calendar goes") from None
    if moment is None:
        raise WhenError(f"I couldn't read '{_shown(text)}' as a time; {EXAMPLES}")
    if passed:
        raise _NearMissError(f"that time has passed ({moment:%Y-%m-%d %H:%M}); try a later one")
    return moment


def split_when(text: str, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """A time phrase at the start or end of `text`, and the rest; None if there is none."""
    try:
        return find_when(text, now)
    except WhenError:
        return None


def find_when(text: str, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """As `split_when`, but a phrase shaped like a time yet wrong raises its WhenError.

    The longest phrase wins (the start on a tie); phrases end at word boundaries, a
    leading "for"/"by" belongs to the phrase, and a joining "to"/"about"/"that" is
    dropped from the rest.
    """
    words = [match.span() for match in re.finditer(r"\S+", text)]
    ends = [_scan(text, words, now, at_start=True), _scan(text, words, now, at_start=False)]
    found = [end for end in ends if isinstance(end, _Found)]
    if found:
        best = max(found, key=lambda end: end.words)  # max keeps the first (the start) on ties
        return best.moment, best.rest
    for end in ends:
        if isinstance(end, WhenError):
            raise end
    return None


@attrs.frozen
class _Found:
    words: int
    moment: dt.datetime
    rest: str


def _scan(
    text: str, words: list[tuple[int, int]], now: dt.datetime, *, at_start: bool
) -> _Found | WhenError | None:
    """The longest time phrase at one end of `text`, or the near miss that stopped the look."""
    for count in range(min(_MAX_PHRASE_WORDS, len(words)), 0, -1):
        phrase_words = words[:count] if at_start else words[-count:]
        start, end = phrase_words[0][0], phrase_words[-1][1]
        phrase = _LEADING_PREPOSITION.sub("", text[start:end].rstrip(",.;:!?"), count=1)
        try:
            moment = parse_when(phrase, now)
        except _NearMissError as error:
            return error
        except WhenError:
            continue
        return _Found(count, moment, _tidy(text[end:] if at_start else text[:start]))
    return None


def _tidy(rest: str) -> str:
    rest = rest.strip().strip(_EDGE_PUNCTUATION).strip()
    joiner = _JOINER.match(rest)
    if joiner is not None:
        rest = rest[joiner.end() :]
    return rest.strip().strip(_EDGE_PUNCTUATION).strip()


def _moment(said: str, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """`said` is normalised; None when it has no time's shape at all."""
    explicit = said.startswith("at ")  # "at 3" means a clock time, though not which 3
    said = re.sub(r"^(?:at|on)\s+", "", said)
    if said.startswith("in "):
        return (now.astimezone(dt.UTC) + parse_duration(said[3:])).astimezone(zone)
    said = re.sub(rf"^({_ISO_DATE})t(?=[0-9])", r"\1 ", said)  # 2026-12-01T09:00
    today = now.astimezone(zone).date()
    if day_first := _DAY_FIRST.fullmatch(said):
        day, clock = day_first["day"], day_first["clock"]
        explicit = day_first["at"] is not None
    elif day_last := _DAY_LAST.fullmatch(said):
        day, clock = day_last["day"], day_last["clock"]
    elif _CLOCK.fullmatch(said) or said in ("noon", "midday", "midnight"):
        time = _clock(said, explicit=explicit)
        moment = dt.datetime.combine(today, time, tzinfo=zone)
        if moment.astimezone(dt.UTC) <= now.astimezone(dt.UTC):  # passed today: tomorrow
            moment = dt.datetime.combine(today + dt.timedelta(days=1), time, tzinfo=zone)
        return moment
    else:
        return None
    date = _date(day, today)
    if clock is None and day in ("today", "tonight"):
        raise _NearMissError(f"say what time {day}, e.g. '{day} at 5pm'")
    time = dt.time(DEFAULT_HOUR) if clock is None else _clock(clock, explicit=explicit)
    return dt.datetime.combine(date, time, tzinfo=zone)


def _date(day: str, today: dt.date) -> dt.date:
    if day in ("today", "tonight"):
        return today
    if day == "tomorrow":
        return today + dt.timedelta(days=1)
    weekday = _WEEKDAYS.get(day.rsplit(maxsplit=1)[-1])
    if weekday is not None:  # strictly after today: a weekday never means today
        return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise _NearMissError(f"'{day}' isn't a date; write dates like 2026-12-01") from None


def _clock(said: str, *, explicit: bool) -> dt.time:
    if said in ("noon", "midday"):
        return dt.time(12)
    if said == "midnight":
        return dt.time(0)
    clock = _CLOCK.fullmatch(said)
    if clock is None:
        raise WhenError(f"I couldn't read '{said}' as a time; {EXAMPLES}")
    hour, minute = int(clock["hour"]), int(clock["minute"] or 0)
    if clock["half"]:
        if not 1 <= hour <= 12 or minute > 59:
            raise _NearMissError(
                f"I couldn't read '{said}' as a time: with am or pm the hour goes from 1 to 12;"
                " try '3pm' or '15:00'"
            )
        return dt.time(hour % 12 + (12 if clock["half"] == "pm" else 0), minute)
    if clock["minute"] is None:
        # A bare number is a time only after "at", and even then not which one.
        raise (_NearMissError if explicit else WhenError)(_bare_hour_problem(hour))
    if hour > 23 or minute > 59:
        raise _NearMissError(
            f"I couldn't read '{said}' as a time: hours go up to 23 and minutes up to 59;"
            " try '14:30'"
        )
    return dt.time(hour, minute)


def _bare_hour_problem(hour: int) -> str:
    if 1 <= hour <= 12:
        return f"I can't tell whether '{hour}' means {hour}am or {hour}pm; say which"
    if hour <= 23:
        return f"'{hour}' needs minutes to be a time; try '{hour:02d}:00'"
    return f"I couldn't read '{hour}' as a time; {EXAMPLES}"


def _count(count: str) -> float:
    count = count.strip()
    if count.startswith("half"):
        return 0.5
    return 1.0 if count in ("a", "an") else float(count)


def _normalise(text: str) -> str:
    return _DOTTED_HALF.sub(r"\1m", " ".join(text.lower().split()))


def _shown(text: str) -> str:
    """The person's words, quoted back at a readable length."""
    shown = " ".join(text.split())
    return shown if len(shown) <= 40 else shown[:39] + "\u2026"
