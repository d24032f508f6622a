import datetime as dt

import pytest

from lukas.domain.engagement import (
    FRIENDLY_EMOJI,
    ActiveHours,
    ActiveHoursError,
    Draws,
    EngagementOdds,
    judge_thread,
)


def test_a_draw_under_the_probability_joins_and_reacts() -> None:
    judgement = judge_thread(EngagementOdds(0.2, 0.15), Draws(0.19, 0.1, 0.0), 0)
    assert (judgement.reply, judgement.reaction) == (True, FRIENDLY_EMOJI[0])
    assert "draw 0.190 < 0.2" in judgement.reason


def test_a_draw_at_or_over_the_probability_stays_quiet() -> None:
    judgement = judge_thread(EngagementOdds(0.2, 0.15), Draws(0.2, 0.15, 0.99), 0)
    assert (judgement.reply, judgement.reaction) == (False, None)
    assert "draw 0.200 >= 0.2" in judgement.reason


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_certainty_and_never(draw: float) -> None:
    always = judge_thread(EngagementOdds(1.0, 1.0), Draws(draw, draw, draw), 0)
    never = judge_thread(EngagementOdds(0.0, 0.0), Draws(draw, draw, draw), 0)
    assert always.reply
    assert always.reaction in FRIENDLY_EMOJI
    assert not never.reply
    assert never.reaction is None


def test_a_busy_thread_is_left_alone() -> None:
    judgement = judge_thread(EngagementOdds(1.0, 1.0, busy_thread_messages=10), Draws(0, 0, 0), 10)
    assert (judgement.reply, judgement.reaction) == (False, None)
    assert "busy thread" in judgement.reason


def test_probabilities_are_checked() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        EngagementOdds(thread_probability=1.7)


def test_active_hours_are_weekday_office_hours_or_always() -> None:
    hours = ActiveHours.parse("08:00-18:00")
    friday_noon = dt.datetime(2026, 11, 27, 12, 0)
    assert hours.allows(friday_noon)
    assert not hours.allows(friday_noon.replace(hour=7, minute=59))
    assert not hours.allows(friday_noon.replace(hour=18))
    assert not hours.allows(friday_noon + dt.timedelta(days=1))  # Saturday
    assert ActiveHours.parse("always").allows(friday_noon + dt.timedelta(days=1, hours=11))


@pytest.mark.parametrize("text", ["9-5", "18:00-08:00", "25:00-26:00", "soon"])
def test_bad_active_hours_are_named(text: str) -> None:
    with pytest.raises(ActiveHoursError):
        ActiveHours.parse(text)
