"""Times people type: every form, every error, daylight saving, and a property over any text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.domain.when import (
    DEFAULT_HOUR,
    WhenError,
    find_when,
    parse_duration,
    parse_when,
    split_when,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday afternoon in late November: winter time, well clear of any change.
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0, *, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 minutes", dt.timedelta(minutes=30)),
        ("2 hours", dt.timedelta(hours=2)),
        ("an hour", dt.timedelta(hours=1)),
        ("a minute", dt.timedelta(minutes=1)),
        ("half an hour", dt.timedelta(minutes=30)),
        ("1 day", dt.timedelta(days=1)),
        ("2 days", dt.timedelta(days=2)),
        ("1 week", dt.timedelta(weeks=1)),
        ("90m", dt.timedelta(minutes=90)),
        ("2h", dt.timedelta(hours=2)),
        ("1h30m", dt.timedelta(minutes=90)),
        ("1h 30m", dt.timedelta(minutes=90)),
        ("1 hour and 30 minutes", dt.timedelta(minutes=90)),
        ("2 hours, 15 minutes", dt.timedelta(minutes=135)),
        ("1.5 hours", dt.timedelta(minutes=90)),
        ("45 min", dt.timedelta(minutes=45)),
        ("10 mins", dt.timedelta(minutes=10)),
        ("3 hrs", dt.timedelta(hours=3)),
        ("  2 HOURS ", dt.timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "as a length of time"),
        ("a while", "couldn't read 'a while' as a length of time"),
        ("5 fortnights", "as a length of time"),
        ("minutes", "as a length of time"),
        ("1h and", "as a length of time"),
        ("1h and d", "as a length of time"),  # "an d" is not a day
        ("in 2 hours", "as a length of time"),  # the bare duration, without "in"
        ("0 minutes", "no time at all"),
    ],
)
def test_unreadable_durations_say_so(text: str, problem: str) -> None:
    with pytest.raises(WhenError, match=problem):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # relative: elapsed time from now
        ("in 30 minutes", at(25, 14, 30)),
        ("in 2 hours", at(25, 16)),
        ("in an hour", at(25, 15)),
        ("in a minute", at(25, 14, 1)),
        ("in 1 day", at(26, 14)),
        ("in 2 days", at(27, 14)),
        ("in 90m", at(25, 15, 30)),
        ("in 2h", at(25, 16)),
        ("in 1h30m", at(25, 15, 30)),
        ("in 45 min", at(25, 14, 45)),
        ("in 10 mins", at(25, 14, 10)),
        ("in 3 hrs", at(25, 17)),
        ("in 1 week", at(2, 14, month=12)),
        # clock times: later today, or tomorrow once passed
        ("3pm", at(25, 15)),
        ("3 pm", at(25, 15)),
        ("3:30pm", at(25, 15, 30)),
        ("3:30 PM", at(25, 15, 30)),
        ("14:30", at(25, 14, 30)),
        ("9am", at(26, 9)),
        ("9 a.m.", at(26, 9)),
        ("12pm", at(26, 12)),
        ("12am", at(26, 0)),
        ("12:30am", at(26, 0, 30)),
        ("noon", at(26, 12)),
        ("midnight", at(26, 0)),
        ("14:00", at(26, 14)),  # equal to now: tomorrow
        ("at 3pm", at(25, 15)),
        ("  At 3PM  ", at(25, 15)),
        # today and tomorrow
        ("today at 5pm", at(25, 17)),
        ("tonight at 8pm", at(25, 20)),
        ("tomorrow", at(26, DEFAULT_HOUR)),
        ("tomorrow at 9am", at(26, 9)),
        ("tomorrow 9am", at(26, 9)),
        ("9am tomorrow", at(26, 9)),
        ("at 9am tomorrow", at(26, 9)),
        ("noon tomorrow", at(26, 12)),
        ("tomorrow at 14:30", at(26, 14, 30)),
        # weekdays: the next one strictly after today, 09:00 unless said
        ("monday", at(30, 9)),
        ("mon", at(30, 9)),
        ("on friday at 3pm", at(27, 15)),
        ("friday 15:00", at(27, 15)),
        ("3pm on friday", at(27, 15)),
        ("next monday at 10am", at(30, 10)),
        ("this thursday", at(26, 9)),
        ("wednesday", at(2, 9, month=12)),  # today is Wednesday: never today
        ("next wednesday", at(2, 9, month=12)),
        ("tues", at(1, 9, month=12)),
        ("sun", at(29, 9)),
        # ISO dates
        ("2026-12-01 09:00", at(1, 9, month=12)),
        ("2026-12-01", at(1, 9, month=12)),
        ("2026-12-01T09:00", at(1, 9, month=12)),
        ("2026-12-01 at 3pm", at(1, 15, month=12)),
        ("on 2026-12-01", at(1, 9, month=12)),
    ],
)
def test_times(text: str, expected: dt.datetime) -> None:
    moment = parse_when(text, NOW)
    assert moment == expected
    assert moment.tzinfo is BERLIN


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "couldn't find a time"),
        ("   ", "couldn't find a time"),
        ("someday", "couldn't read 'someday' as a time; try '3pm'"),
        ("25pm", "couldn't read '25pm' as a time"),
        ("13pm", "the hour goes from 1 to 12"),
        ("0am", "the hour goes from 1 to 12"),
        ("3:75pm", "couldn't read"),
        ("24:00", "hours go up to 23"),
        ("14:60", "minutes up to 59"),
        ("3", "whether '3' means 3am or 3pm"),
        ("at 3", "whether '3' means 3am or 3pm"),
        ("at 15", "try '15:00'"),
        ("today", "say what time today"),
        ("tonight", "say what time tonight"),
        ("today at 9am", "that time has passed"),
        ("today at 14:00", "that time has passed"),
        ("2020-01-01", "that time has passed"),
        ("2026-11-25", "that time has passed"),  # 09:00 today, already gone
        ("2026-13-01", "isn't a date"),
        ("2026-02-30 09:00", "isn't a date"),
        ("tomorrow at 25pm", "couldn't read '25pm'"),
        ("tomorrow at", "couldn't read 'at'"),
        ("in a while", "as a length of time"),
        ("in 0 minutes", "no time at all"),
        ("in 999999 weeks", "further away than my calendar goes"),
        ("0001-01-01 00:00", "further away than my calendar goes"),
        ("next", "couldn't read"),
        ("x" * 200, "couldn't read"),
    ],
)
def test_unreadable_times_say_why(text: str, problem: str) -> None:
    with pytest.raises(WhenError, match=problem):
        parse_when(text, NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("3pm", dt.datetime(2026, 11, 25, 14, 0))


def ny(month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK, fold=fold)


# New York leaves daylight saving at 02:00 on 2026-11-01: the clock goes back to 01:00.
@pytest.mark.parametrize(
    ("now", "text", "wall", "elapsed"),
    [
        # Elapsed: two real hours after 00:30 EDT is 01:30 EST, not 02:30.
        (ny(11, 1, 0, 30), "in 2 hours", ny(11, 1, 1, 30, fold=1), dt.timedelta(hours=2)),
        (ny(10, 31, 12), "in 1 day", ny(11, 1, 11), dt.timedelta(days=1)),
        (ny(10, 31, 12), "in 24 hours", ny(11, 1, 11), dt.timedelta(hours=24)),
        # Wall time: noon is noon, though the day between had 25 hours.
        (ny(10, 31, 12), "tomorrow at noon", ny(11, 1, 12), dt.timedelta(hours=25)),
        (ny(11, 1, 0, 30), "3am", ny(11, 1, 3), dt.timedelta(hours=3, minutes=30)),
        (ny(10, 31, 9), "9am", ny(11, 1, 9), dt.timedelta(hours=25)),
        (ny(10, 30, 9), "sunday", ny(11, 1, 9), dt.timedelta(hours=49)),
    ],
)
def test_relative_times_are_elapsed_and_clock_times_are_wall_time(
    now: dt.datetime, text: str, wall: dt.datetime, elapsed: dt.timedelta
) -> None:
    moment = parse_when(text, now)
    assert (moment.date(), moment.time()) == (wall.date(), wall.time())
    assert moment.utcoffset() == wall.utcoffset()
    assert moment.astimezone(dt.UTC) - now.astimezone(dt.UTC) == elapsed


@pytest.mark.parametrize(
    ("text", "moment", "rest"),
    [
        ("in 30 minutes to check the build", at(25, 14, 30), "check the build"),
        ("to check the build in 30 minutes", at(25, 14, 30), "check the build"),
        ("tomorrow at 9am about the standup", at(26, 9), "the standup"),
        ("tomorrow that the build is red", at(26, 9), "the build is red"),
        ("check the build, in 30 minutes.", at(25, 14, 30), "check the build"),
        ("at 3pm: standup!", at(25, 15), "standup!"),
        ("for 3pm to call Bob", at(25, 15), "call Bob"),
        ("to pay the bill by friday", at(27, 9), "pay the bill"),
        ("to read chapter 3 tomorrow", at(26, 9), "read chapter 3"),
        ("To Call Ada AT 9AM TOMORROW", at(26, 9), "Call Ada"),
        ("on friday at 3pm\nsubmit the\nabstract", at(27, 15), "submit the\nabstract"),
        # The longest phrase wins, the start on a tie.
        ("in 5 minutes to call at 3pm", at(25, 14, 5), "call at 3pm"),
        ("at 3pm, stretch at 4pm", at(25, 15), "stretch at 4pm"),
        ("2026-12-01 09:00 kickoff", at(1, 9, month=12), "kickoff"),
        ("in 2 hours", at(25, 16), ""),
    ],
)
def test_split_when_finds_a_time_at_either_end(text: str, moment: dt.datetime, rest: str) -> None:
    assert split_when(text, NOW) == (moment, rest)
    assert find_when(text, NOW) == (moment, rest)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "check the build",
        "check the build at 3pm sharp",  # in the middle: not at either end
        "in a while to stretch",
        "stretch when you can",
        "x " * 500,
    ],
)
def test_split_when_finds_nothing(text: str) -> None:
    assert split_when(text, NOW) is None
    assert find_when(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # A phrase shaped like a time but wrong is an error, not a shorter phrase: not
        # "tomorrow" with "at 25pm to stretch" left over.
        ("tomorrow at 25pm to stretch", "couldn't read '25pm'"),
        ("today at 9am to stretch", "that time has passed"),
        ("to stretch today", "say what time today"),
        ("to call at 3 tomorrow", "whether '3' means 3am or 3pm"),
        ("at 3 to stretch", "whether '3' means 3am or 3pm"),
        ("2020-01-01 kickoff", "that time has passed"),
    ],
)
def test_find_when_names_a_time_it_cannot_use(text: str, problem: str) -> None:
    with pytest.raises(WhenError, match=problem):
        find_when(text, NOW)
    assert split_when(text, NOW) is None


TIME_WORDS = st.sampled_from(
    [
        *("in", "at", "on", "for", "by", "a", "an", "half", "and", ",", "to", "about", ".", "!"),
        *("0", "1", "3", "9", "12", "13", "25", "90", "999999", "1.5", "3pm", "12am", "0am"),
        *("25pm", "14:30", "24:00", "9:75", "noon", "midnight", "minutes", "min", "h", "m"),
        *("hours", "days", "week", "am", "pm", "today", "tonight", "tomorrow", "next", "this"),
        *("monday", "fri", "sunday", "2026-12-01", "2026-13-01", "2026-12-01t09:00"),
        *("9999-12-31", "0001-01-01", "\u00e9t\u00e9", "\u0663", "\x00", "\u3000"),
    ]
)
phrases = st.one_of(
    st.text(max_size=40), st.lists(TIME_WORDS, max_size=6).map(" ".join), st.text(min_size=500)
)
nows = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")]),
    allow_imaginary=False,
)


@settings(max_examples=400, deadline=None)
@given(phrases, nows)
def test_a_time_is_after_now_in_the_same_zone_or_a_when_error(text: str, now: dt.datetime) -> None:
    try:
        moment = parse_when(text, now)
    except WhenError:
        return
    assert moment.tzinfo is now.tzinfo
    assert moment.astimezone(dt.UTC) > now.astimezone(dt.UTC)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TIME_WORDS, st.text(max_size=8)), max_size=20).map(" ".join), nows)
def test_split_when_finds_a_later_moment_or_nothing(text: str, now: dt.datetime) -> None:
    found = split_when(text, now)
    if found is not None:
        moment, rest = found
        assert moment.astimezone(dt.UTC) > now.astimezone(dt.UTC)
        assert len(rest) < len(text)
