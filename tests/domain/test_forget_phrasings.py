"""Asking Lukas to forget: a few exact shapes, since it cannot be undone; sentences that
merely say "forget" stay conversation."""

from __future__ import annotations

import datetime as dt

import pytest

from lukas.domain.requests import (
    ConfirmForgetting,
    ForgetPerson,
    Me,
    PersonRef,
    Request,
    ShowHelp,
    parse_request,
)

NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("forget me", ForgetPerson(Me())),
        ("Forget me!", ForgetPerson(Me())),
        ("please forget everything I said", ForgetPerson(Me())),
        ("hey lukas, can you forget everything I\u2019ve said to you?", ForgetPerson(Me())),
        ("<@ULUKAS> forget about me", ForgetPerson(Me())),
        ("forget all about me", ForgetPerson(Me())),
        ("forget everything i ever told you", ForgetPerson(Me())),
        ("forget @alice", ForgetPerson(PersonRef("alice"))),
        ("forget <@U0ALICE>", ForgetPerson(PersonRef("U0ALICE"))),
        ("please forget about <@U0ALICE|alice>", ForgetPerson(PersonRef("U0ALICE"))),
        ("forget everything @ada said", ForgetPerson(PersonRef("ada"))),
        ("yes, forget me", ConfirmForgetting()),
        ("Yes forget me!", ConfirmForgetting()),
        ("yes, forget them", ConfirmForgetting()),
        ("yes, please forget", ConfirmForgetting()),
        ("yes, go ahead and forget her", ConfirmForgetting()),
        ("help forget", ShowHelp("forget")),
    ],
)
def test_forget_requests_are_read(text: str, expected: Request) -> None:
    assert parse_request(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I always forget my keys",
        "don't forget the meeting",
        "forget it",
        "forget about it",
        "forget me not",
        "forget the meeting, we'll do it tomorrow",
        "forget my reminders",
        "forget everything",
        "forget @here",
        "forget <!channel>",
        "yes",
        "yes, forget it",
        "yes, I forget things",
        "please don't forget me",
        "did you forget me?",
        "we should forget everything I said about the budget",
    ],
)
def test_sentences_that_mention_forgetting_stay_conversation(text: str) -> None:
    assert parse_request(text, NOW) is None
