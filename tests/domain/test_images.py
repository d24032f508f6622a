import datetime as dt

import pytest

from lukas.domain.images import (
    Hemisphere,
    Period,
    PictureAsk,
    PromptRejectedError,
    image_cost,
    image_prompt,
    occasion_for,
    picture_ask_in,
    season_for,
    thanksgiving,
    validate_prompt,
)


def test_the_seeds_example_prompts_exactly() -> None:
    assert image_prompt() == (
        "A friendly stuffed teddy bear mascot named Lukas, whimsical illustration style,"
        " warm and inviting atmosphere, family-friendly, high quality digital art"
    )
    assert image_prompt("autumn") == (
        "A friendly stuffed teddy bear mascot named Lukas, surrounded by colorful fall leaves,"
        " warm golden lighting, whimsical illustration style, warm and inviting atmosphere,"
        " family-friendly, high quality digital art"
    )
    assert image_prompt(occasion="holiday") == (
        "A friendly stuffed teddy bear mascot named Lukas, with wrapped presents and holiday"
        " lights, whimsical illustration style, warm and inviting atmosphere, family-friendly,"
        " high quality digital art"
    )
    assert image_prompt("no-such-theme", "no-such-occasion") == image_prompt()


@pytest.mark.parametrize(
    ("day", "north", "south"),
    [
        (dt.date(2026, 1, 15), "winter", "summer"),
        (dt.date(2026, 4, 1), "spring", "autumn"),
        (dt.date(2026, 7, 4), "summer", "winter"),
        (dt.date(2026, 10, 31), "autumn", "spring"),
        (dt.date(2026, 12, 1), "winter", "summer"),
    ],
)
def test_seasons_follow_the_hemisphere(day: dt.date, north: str, south: str) -> None:
    assert season_for(day) == north
    assert season_for(day, Hemisphere.SOUTH) == south


def test_thanksgiving_is_the_fourth_thursday_of_november() -> None:
    assert [thanksgiving(y) for y in (2025, 2026, 2027)] == [
        dt.date(2025, 11, 27),
        dt.date(2026, 11, 26),
        dt.date(2027, 11, 25),
    ]


@pytest.mark.parametrize(
    ("day", "occasion"),
    [
        (dt.date(2026, 10, 29), "halloween"),
        (dt.date(2026, 11, 27), "thanksgiving"),
        (dt.date(2026, 12, 20), "holiday"),
        (dt.date(2026, 12, 30), "holiday"),
        (dt.date(2027, 1, 2), "holiday"),
        (dt.date(2026, 6, 12), None),
        (dt.date(2026, 11, 10), None),
    ],
)
def test_occasions_come_from_the_calendar(day: dt.date, occasion: str | None) -> None:
    assert occasion_for(day) == occasion


def test_prompts_are_checked_before_any_call() -> None:
    assert validate_prompt(image_prompt("science")) == image_prompt("science")
    with pytest.raises(PromptRejectedError, match="empty"):
        validate_prompt("   ")
    with pytest.raises(PromptRejectedError, match="4001 characters"):
        validate_prompt("a" * 4001)
    with pytest.raises(PromptRejectedError, match="avoids"):
        validate_prompt(image_prompt() + ", holding a GUN")
    assert validate_prompt("a bear who has begun a chateau tour")  # words, not substrings


def test_costs_follow_the_seed_and_the_table_and_can_be_overridden() -> None:
    assert image_cost("dall-e-3", "standard") == 0.040
    assert image_cost("dall-e-3", "hd") == 0.080
    assert image_cost("gpt-image-2.5-flare", "high") == 0.167
    assert image_cost("gpt-image-2.5-flare", "medium", override=0.5) == 0.5


def test_a_period_is_an_iso_week() -> None:
    assert str(Period.containing(dt.date(2026, 11, 27))) == "2026-W48"
    assert str(Period.containing(dt.date(2027, 1, 1))) == "2026-W53"


@pytest.mark.parametrize(
    ("text", "theme", "occasion"),
    [
        ("draw a picture", None, None),
        ("Draw me a picture for the milestone!", None, "milestone"),
        ("please post a bear image about winter", "winter", None),
        ("can you make us a new picture, science theme", "science", None),
        ("send a drawing for halloween in autumn", "autumn", "halloween"),
    ],
)
def test_picture_requests_in_the_documented_form(
    text: str, theme: str | None, occasion: str | None
) -> None:
    assert picture_ask_in(text) == PictureAsk(theme, occasion)


@pytest.mark.parametrize(
    "text", ["what a picture-perfect day", "I drew a picture yesterday", "picture this", ""]
)
def test_other_messages_are_not_picture_requests(text: str) -> None:
    assert picture_ask_in(text) is None
