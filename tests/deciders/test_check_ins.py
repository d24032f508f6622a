"""Check-ins: the schedule, postponements, the claim and its one outcome."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from lukas.application.ports.event_store import EventMetadata
from lukas.application.streams import decide_on_stream
from lukas.domain.check_in_schedule import (
    CHECK_IN_STREAM,
    CHECK_INS,
    CheckInState,
    Claim,
    Deliver,
    Fail,
    NextDue,
    Postpone,
    Schedule,
    Skip,
    postponement,
)
from lukas.domain.check_ins import CheckInInterval
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.engagement import ActiveHours
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    CheckInPostponed,
    CheckInScheduled,
    CheckInSkipped,
    CheckInWritten,
)

from .conftest import START, At, Scenarios
from .rivals import RivalFirst

pytestmark = pytest.mark.anyio

STREAM = CHECK_IN_STREAM
HOUR = 3600.0
DM = ConversationKey.slack_dm("D0ADA:1700000000.000001")


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def next_due(seconds: float, interval: str = "1h", draw: float = 0.5) -> NextDue:
    return NextDue(now=at(seconds), interval=CheckInInterval.parse(interval), draw=draw)


def scheduled(due: float, interval: str = "1h", draw: float = 0.5) -> CheckInScheduled:
    return CheckInScheduled(due=at(due).isoformat(), interval=interval, draw=draw)


def written(member: str = "U0ADA", text: str = "Hi Ada!") -> CheckInWritten:
    return CheckInWritten(
        member_id=member,
        member_name=member[2:].title(),
        text=text,
        written_by="fake:scripted",
        reason="never checked in with",
    )


DUE_IN_AN_HOUR = At(0, scheduled(HOUR))
# The schedule as the application read it, before choosing a member and writing.
DUE_STATE = CheckInState(scheduled=True, due=at(HOUR), interval="1h")
UNTIL_RESUMED = CheckInPostponed(due=None, reason="paused until resumed")
PAUSED_FOR_4H = CheckInPostponed(due=at(5 * HOUR).isoformat(), reason="paused by an admin")


async def test_the_first_schedule_draws_the_due_time_within_the_interval(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        when=Schedule(next=next_due(0, "24h-48h", draw=0.25)),
        then=[scheduled(30 * HOUR, "24h-48h", draw=0.25)],
        at=0,
    )


async def test_a_schedule_in_force_is_not_drawn_again(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Schedule(next=next_due(60, draw=0.9)),
        then=[],
        at=60,
    )


async def test_a_shortened_interval_draws_the_due_time_again(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[At(0, scheduled(36 * HOUR, "24h-48h"))],
        when=Schedule(next=next_due(60, "30m", draw=0.0)),
        then=[scheduled(60 + 1800, "30m", draw=0.0)],
        at=60,
    )


async def test_a_lengthened_interval_keeps_the_due_time(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Schedule(next=next_due(60, "24h")),
        then=[],
        at=60,
    )


async def test_a_postponed_due_time_stands_when_the_interval_is_shortened(
    scenarios: Scenarios,
) -> None:
    opening = CheckInPostponed(due=at(38 * HOUR).isoformat(), reason="outside active hours")
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[At(0, scheduled(24 * HOUR, "24h-48h")), At(24 * HOUR, opening)],
        when=Schedule(next=next_due(24 * HOUR + 60, "30m")),
        then=[],
        at=24 * HOUR + 60,
    )


async def test_a_due_check_in_that_must_wait_is_postponed(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Postpone(now=at(HOUR), postponement=UNTIL_RESUMED),
        then=[UNTIL_RESUMED],
        at=HOUR,
    )


async def test_the_same_postponement_is_written_once(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, UNTIL_RESUMED)],
        when=Postpone(now=at(2 * HOUR), postponement=UNTIL_RESUMED),
        then=[],
        at=2 * HOUR,
    )


async def test_a_new_reason_to_wait_is_written(scenarios: Scenarios) -> None:
    closed = CheckInPostponed(due=at(20 * HOUR).isoformat(), reason="outside active hours")
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, UNTIL_RESUMED)],
        when=Postpone(now=at(2 * HOUR), postponement=closed),
        then=[closed],
        at=2 * HOUR,
    )


async def test_nothing_is_postponed_before_it_is_due(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Postpone(now=at(600), postponement=UNTIL_RESUMED),
        then=[],
        at=600,
    )


async def test_a_due_check_in_is_claimed(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Claim(now=at(HOUR), written=written(), schedule=DUE_STATE),
        then=[written()],
        at=HOUR,
    )


@pytest.mark.parametrize(
    ("given", "schedule", "seconds"),
    [
        pytest.param([], CheckInState(), HOUR, id="nothing scheduled"),
        pytest.param([DUE_IN_AN_HOUR], DUE_STATE, HOUR - 1, id="not yet due"),
        pytest.param(
            [DUE_IN_AN_HOUR, At(HOUR, PAUSED_FOR_4H)],
            attrs.evolve(DUE_STATE, due=at(5 * HOUR), last_postponement=PAUSED_FOR_4H),
            HOUR + 60,
            id="postponed to later",
        ),
    ],
)
async def test_a_check_in_not_due_is_not_claimed(
    scenarios: Scenarios, given: list[At], schedule: CheckInState, seconds: float
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=given,
        when=Claim(now=at(seconds), written=written(), schedule=schedule),
        then=[],
        at=seconds,
    )


async def test_after_a_resume_the_check_in_postponed_until_then_is_claimed(
    scenarios: Scenarios,
) -> None:
    resumed = attrs.evolve(DUE_STATE, due=None, last_postponement=UNTIL_RESUMED)
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, UNTIL_RESUMED)],
        when=Claim(now=at(50 * HOUR), written=written(), schedule=resumed),
        then=[written()],
        at=50 * HOUR,
    )


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param(written(text="Hello from a rival!"), id="a rival claimed it"),
        pytest.param(UNTIL_RESUMED, id="a rival postponed it for a pause"),
    ],
)
async def test_a_claim_on_a_schedule_that_moved_on_while_writing_is_void(
    scenarios: Scenarios, meanwhile: CheckInWritten | CheckInPostponed
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, meanwhile)],
        when=Claim(now=at(HOUR + 1), written=written(), schedule=DUE_STATE),
        then=[],
        at=HOUR + 1,
    )


async def test_a_delivered_claim_is_a_turn_and_the_next_is_drawn(scenarios: Scenarios) -> None:
    delivered = Deliver(
        claim=written(),
        conversation=DM,
        platform_message_id="1700000000.000001",
        next=next_due(HOUR + 5, draw=0.0),
    )
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, written())],
        when=delivered,
        then=[
            CheckInDelivered(
                member_id="U0ADA", conversation=DM, platform_message_id="1700000000.000001"
            ),
            scheduled(2 * HOUR + 5, draw=0.0),
        ],
        at=HOUR + 5,
    )


async def test_a_claim_that_did_not_go_out_fails_and_the_next_is_drawn(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, written())],
        when=Fail(claim=written(), reason="channel_not_found", next=next_due(HOUR + 5)),
        then=[
            CheckInFailed(member_id="U0ADA", reason="channel_not_found"),
            scheduled(2 * HOUR + 5),
        ],
        at=HOUR + 5,
    )


async def test_a_claim_settled_already_gets_no_second_outcome(scenarios: Scenarios) -> None:
    # Two instances found the same dead process's claim: the first one's verdict stands.
    settled = [
        DUE_IN_AN_HOUR,
        At(HOUR, written()),
        At(2 * HOUR, CheckInFailed(member_id="U0ADA", reason="no outcome was recorded")),
        At(2 * HOUR, scheduled(3 * HOUR)),
    ]
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=settled,
        when=Fail(claim=written(), reason="no outcome was recorded", next=next_due(2 * HOUR)),
        then=[],
        at=2 * HOUR,
    )


async def test_an_outcome_for_another_claim_is_not_written(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR, At(HOUR, written("U0BOB", "Hi Bob!"))],
        when=Deliver(
            claim=written(), conversation=DM, platform_message_id="1", next=next_due(HOUR + 5)
        ),
        then=[],
        at=HOUR + 5,
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Schedule(next=next_due(HOUR + 5, "1s")), id="schedule"),
        pytest.param(Postpone(now=at(HOUR + 5), postponement=UNTIL_RESUMED), id="postpone"),
        pytest.param(Skip(reason="nobody", next=next_due(HOUR + 5)), id="skip"),
        pytest.param(
            Claim(now=at(HOUR + 5), written=written("U0BOB"), schedule=DUE_STATE), id="claim"
        ),
    ],
)
async def test_while_a_claim_waits_only_its_outcome_is_written(
    scenarios: Scenarios, command: object
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[At(0, scheduled(HOUR, "1s")), At(HOUR, written())],
        when=command,
        then=[],
        at=HOUR + 5,
    )


async def test_a_due_turn_with_nobody_to_write_to_is_skipped_and_the_next_drawn(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        STREAM,
        CHECK_INS,
        given=[DUE_IN_AN_HOUR],
        when=Skip(reason="nobody to check in with", next=next_due(HOUR, draw=1.0)),
        then=[CheckInSkipped(reason="nobody to check in with"), scheduled(2 * HOUR, draw=1.0)],
        at=HOUR,
    )


async def test_of_two_instances_claiming_at_once_one_claim_is_written(
    scenarios: Scenarios,
) -> None:
    # The same words from both: the instance ids in the event ids make the later append a
    # version conflict, not a duplicate, and on reading again it finds the check-in claimed.
    store = scenarios.store

    def metadata(instance: str) -> EventMetadata:
        return EventMetadata(STREAM, None, instance)

    await decide_on_stream(store, STREAM, CHECK_INS, Schedule(next=next_due(0)), metadata("a"))
    claim = Claim(now=at(HOUR), written=written(), schedule=DUE_STATE)

    async def rival() -> None:
        await decide_on_stream(store, STREAM, CHECK_INS, claim, metadata("b"))

    racing = RivalFirst(store, rival)
    decided = await decide_on_stream(racing, STREAM, CHECK_INS, claim, metadata("a"))
    assert decided.events == ()
    recorded = await store.read_stream(STREAM)
    claims = [r for r in recorded if isinstance(r.event, CheckInWritten)]
    assert [r.metadata.instance_id for r in claims] == ["b"]


def test_each_member_s_turn_is_when_its_outcome_was_recorded() -> None:
    state = CHECK_INS.fold(
        [
            (scheduled(HOUR), at(0)),
            (written(), at(HOUR)),
            (
                CheckInDelivered(member_id="U0ADA", conversation=DM, platform_message_id="1"),
                at(HOUR + 2),
            ),
            (scheduled(2 * HOUR), at(HOUR + 2)),
            (written("U0BOB"), at(2 * HOUR)),
            # A failed turn is a turn: someone who cannot get DMs does not block the rest.
            (CheckInFailed(member_id="U0BOB", reason="refused"), at(2 * HOUR + 7)),
        ]
    )
    assert state.last_turn == {"U0ADA": at(HOUR + 2), "U0BOB": at(2 * HOUR + 7)}
    assert state.pending is None


HOURS = ActiveHours.parse("08:00-18:00")


@pytest.mark.parametrize(
    ("paused_until", "now", "expected"),
    [
        pytest.param(None, at(HOUR), None, id="free to go"),
        pytest.param(
            dt.datetime(dt.MAXYEAR, 12, 31, tzinfo=dt.UTC), at(HOUR), UNTIL_RESUMED, id="resume"
        ),
        pytest.param(
            at(3 * HOUR),
            at(HOUR),
            CheckInPostponed(due=at(3 * HOUR).isoformat(), reason="paused by an admin"),
            id="paused until a time",
        ),
        pytest.param(
            None,
            at(10 * HOUR),  # 19:00 on Wednesday
            CheckInPostponed(
                due=dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC).isoformat(),
                reason="outside active hours",
            ),
            id="after hours",
        ),
    ],
)
def test_a_due_check_in_waits_for_a_pause_and_for_active_hours(
    paused_until: dt.datetime | None, now: dt.datetime, expected: CheckInPostponed | None
) -> None:
    assert postponement(now, paused_until, HOURS, dt.UTC) == expected
