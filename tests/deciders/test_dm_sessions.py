"""DM sessions: a message continues the current session until it has been quiet for `idle`;
Lukas's check-in opens one of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.dm_sessions import DM_SESSIONS, JoinSession, OpenSession, session_stream
from lukas.domain.events import ConversationStarted

from .conftest import START, At, Scenarios

pytestmark = pytest.mark.anyio

STREAM = session_stream("D1")
HOUR = 3600.0
IDLE = dt.timedelta(hours=24)
FIRST = ConversationKey.slack_dm("D1:100.1")
SECOND = ConversationKey.slack_dm("D1:200.1")
CHECK_IN = ConversationKey.slack_dm("D1:150.1")


def started(key: ConversationKey) -> ConversationStarted:
    return ConversationStarted(conversation=key)


def message(
    key: ConversationKey,
    seconds: float,
    *,
    examined: ConversationKey | None = FIRST,
    last_activity: float | None = None,
) -> JoinSession:
    """A member's message arriving `seconds` into the scenario, after reading that the
    `examined` session's conversation last saw activity at `last_activity` seconds."""
    return JoinSession(
        key=key,
        examined=examined,
        last_activity=None if last_activity is None else at(last_activity),
        now=at(seconds),
        idle=IDLE,
    )


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


async def test_the_first_message_starts_a_session(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM, DM_SESSIONS, when=message(FIRST, 0, examined=None), then=[started(FIRST)], at=0
    )


async def test_a_message_within_a_day_of_the_last_activity_continues(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 30 * HOUR, last_activity=20 * HOUR),
        then=[],
        at=30 * HOUR,
    )


async def test_a_message_after_a_quiet_day_starts_the_next_session(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 44 * HOUR + 1, last_activity=20 * HOUR),
        then=[started(SECOND)],
        at=44 * HOUR + 1,
    )


async def test_exactly_a_day_of_quiet_still_continues(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 44 * HOUR, last_activity=20 * HOUR),
        then=[],
        at=44 * HOUR,
    )


async def test_an_empty_session_is_quiet_since_it_started(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 24 * HOUR + 1),
        then=[started(SECOND)],
        at=24 * HOUR + 1,
    )


async def test_a_message_read_late_is_judged_by_when_it_arrived(scenarios: Scenarios) -> None:
    # Recovered after a restart two days on: it arrived an hour after the last activity.
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 2 * HOUR, last_activity=HOUR),
        then=[],
        at=48 * HOUR,
    )


async def test_a_redelivered_message_stays_in_the_session_it_started(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST)), At(30 * HOUR, started(SECOND))],
        when=message(SECOND, 60 * HOUR, examined=SECOND),
        then=[],
        at=60 * HOUR,
    )


async def test_a_session_started_after_the_silence_was_read_is_joined(
    scenarios: Scenarios,
) -> None:
    # The message read FIRST's silence, but SECOND was started meanwhile. Whatever FIRST's
    # silence says, it says nothing of SECOND: the message joins SECOND.
    third = ConversationKey.slack_dm("D1:300.1")
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST)), At(HOUR, started(SECOND))],
        when=message(third, 50 * HOUR, last_activity=0),
        then=[],
        at=50 * HOUR,
    )


async def test_a_session_started_after_an_empty_channel_was_read_is_joined(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=message(SECOND, 0, examined=None),
        then=[],
        at=0,
    )


async def test_a_check_in_opens_a_session_even_in_a_lively_one(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST))],
        when=OpenSession(key=CHECK_IN),
        then=[started(CHECK_IN)],
        at=60,
    )


async def test_a_check_in_opened_already_is_not_opened_again(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST)), At(60, started(CHECK_IN))],
        when=OpenSession(key=CHECK_IN),
        then=[],
        at=120,
    )


async def test_the_answer_to_a_check_in_continues_its_session(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        DM_SESSIONS,
        given=[At(0, started(FIRST)), At(60, started(CHECK_IN))],
        when=message(SECOND, HOUR, examined=CHECK_IN, last_activity=60),
        then=[],
        at=HOUR,
    )
