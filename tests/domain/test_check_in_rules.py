"""Check-in intervals, fair rotation and the template, with the time of day passed in."""

from __future__ import annotations

import datetime as dt

import pytest

from lukas.domain.check_ins import (
    CheckInInterval,
    IntervalError,
    check_in_instruction,
    choose_member,
    part_of_day,
    template_check_in,
)
from lukas.domain.engagement import ActiveHours
from lukas.domain.roster import Member

HOUR = dt.timedelta(hours=1)
ADA, BOB, CY = (Member(f"U{n}", name, name) for n, name in enumerate(("Ada", "Bob", "Cy")))
LUKAS = Member("ULUKAS", "Lukas", "Lukas the Bear")
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("30s", dt.timedelta(seconds=30), dt.timedelta(seconds=30)),
        ("90m", 1.5 * HOUR, 1.5 * HOUR),
        ("24h-48h", 24 * HOUR, 48 * HOUR),
        (" 1d - 2d ", 24 * HOUR, 48 * HOUR),
        ("1.5h", 1.5 * HOUR, 1.5 * HOUR),
        ("24H-48H", 24 * HOUR, 48 * HOUR),
        ("1h-365d", HOUR, 365 * 24 * HOUR),
    ],
)
def test_intervals_parse(text: str, low: dt.timedelta, high: dt.timedelta) -> None:
    interval = CheckInInterval.parse(text)
    assert (interval.low, interval.high) == (low, high)


@pytest.mark.parametrize(
    "text",
    [
        *("", "24", "h", "48h-24h", "0s", "0.5s", "1w", "-1h", "1h-", "a-b"),
        *("366d", "1h-400d", "9" * 30 + "d"),  # the last was once an OverflowError
    ],
)
def test_bad_intervals_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(IntervalError, match=r"interval|range"):
        CheckInInterval.parse(text)


def test_a_draw_picks_a_point_in_the_range() -> None:
    interval = CheckInInterval.parse("24h-48h")
    assert interval.pick(0.0) == 24 * HOUR
    assert interval.pick(0.5) == 36 * HOUR
    assert interval.pick(0.999999) < 48 * HOUR
    assert CheckInInterval.parse("90m").pick(0.7) == 1.5 * HOUR


def test_never_contacted_members_come_first_in_roster_order() -> None:
    choice = choose_member([ADA, BOB, CY], {"U0": T0}, "ULUKAS")
    assert choice is not None
    assert (choice.member, choice.reason) == (BOB, "never checked in with")


def test_then_the_one_contacted_longest_ago() -> None:
    turns = {"U0": T0 + 2 * HOUR, "U1": T0, "U2": T0 + HOUR}
    choice = choose_member([ADA, BOB, CY], turns, "ULUKAS")
    assert choice is not None
    assert choice.member == BOB
    assert "longest ago" in choice.reason


def test_bots_leavers_and_lukas_are_never_chosen() -> None:
    roster = [
        LUKAS,
        Member("B1", "Bot", "Bot", is_bot=True),
        Member("U9", "Gone", "Gone", deleted=True),
    ]
    assert choose_member(roster, {}, "ULUKAS") is None
    choice = choose_member([*roster, CY], {}, "ULUKAS")
    assert choice is not None
    assert choice.member == CY


def test_rotation_visits_everyone_before_anyone_twice() -> None:
    turns: dict[str, dt.datetime] = {}
    order = []
    for n in range(6):
        choice = choose_member([ADA, BOB, CY], turns, "ULUKAS")
        assert choice is not None
        order.append(choice.member.name)
        turns[choice.member.member_id] = T0 + n * HOUR
    assert order == ["Ada", "Bob", "Cy", "Ada", "Bob", "Cy"]


@pytest.mark.parametrize(
    ("hour", "part"),
    [
        (5, "morning"),
        (11, "morning"),
        (12, "afternoon"),
        (17, "evening"),
        (22, "night"),
        (3, "night"),
    ],
)
def test_parts_of_the_day(hour: int, part: str) -> None:
    assert part_of_day(T0.replace(hour=hour)) == part


def test_the_template_and_the_instruction_know_the_time_of_day() -> None:
    evening = T0.replace(hour=19)
    assert (
        template_check_in("Ada", evening) == "Good evening, Ada! Lukas here. How did today go? 🐻"
    )
    instruction = check_in_instruction("Ada", evening)
    assert "Ada" in instruction
    assert "Wednesday evening (19:00)" in instruction


def test_next_opening_of_active_hours() -> None:
    hours = ActiveHours.parse("08:00-18:00")
    wednesday_night = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)
    assert hours.next_opening(wednesday_night) == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    friday_night = dt.datetime(2026, 11, 27, 19, 0, tzinfo=dt.UTC)
    assert hours.next_opening(friday_night) == dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
    assert hours.next_opening(early) == early.replace(hour=8)
    inside = early.replace(hour=9)
    assert hours.next_opening(inside) == inside
    assert ActiveHours.parse("always").next_opening(friday_night) == friday_night
