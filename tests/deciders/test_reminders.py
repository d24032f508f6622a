"""Reminders: numbered per owner, set once per asking message, cancelled only while they
wait, and claimed before they are sent so that each fires once."""

from __future__ import annotations

import datetime as dt

import pytest

from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.streams import decide_on_stream
from lukas.domain.events import (
    DomainEvent,
    ReminderCancelled,
    ReminderDelivered,
    ReminderFailed,
    ReminderFiring,
    ReminderSet,
)
from lukas.domain.reminders import (
    REMINDER_STREAM,
    REMINDERS,
    AddReminder,
    CancelOwnReminder,
    ClaimDue,
    NewReminder,
    RecordOutcome,
)

from .conftest import START, At, Scenarios
from .rivals import RivalFirst

pytestmark = pytest.mark.anyio

ADA, GRACE = "U0ADA", "U0GRACE"
NAMES = {ADA: "Ada", GRACE: "Grace"}
ME, OTHER = "instance-a", "instance-b"  # the runner in `scenarios` records as instance-a


def new(owner: str = ADA, *, due_in: float = 600, text: str = "stretch") -> NewReminder:
    return NewReminder(
        owner=owner,
        owner_name=NAMES[owner],
        target_kind="person",
        target=owner,
        target_name=NAMES[owner],
        due=START + dt.timedelta(seconds=due_in),
        text=text,
    )


def reminder_set(
    reminder_id: str, number: int, owner: str = ADA, *, due_in: float = 600
) -> ReminderSet:
    asked = new(owner, due_in=due_in)
    return ReminderSet(
        reminder_id=reminder_id,
        number=number,
        owner=owner,
        owner_name=asked.owner_name,
        target_kind=asked.target_kind,
        target=asked.target,
        target_name=asked.target_name,
        due=asked.due.isoformat(),
        text=asked.text,
    )


def claim(seconds: float, *gone: str) -> ClaimDue:
    return ClaimDue(now=START + dt.timedelta(seconds=seconds), by=ME, gone=frozenset(gone))


def firing(reminder_id: str, by: str | None = ME) -> ReminderFiring:
    return ReminderFiring(reminder_id=reminder_id, by=by)


def delivered(reminder_id: str) -> ReminderDelivered:
    return ReminderDelivered(reminder_id=reminder_id, platform_message_id="1700000000.000100")


R1 = reminder_set("r1", 1)
R2 = reminder_set("r2", 2)


# Setting ----------------------------------------------------------------------------------


async def test_an_owners_first_reminder_is_number_one(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, when=AddReminder("r1", new()), then=[reminder_set("r1", 1)]
    )


async def test_numbers_count_the_owners_reminders_ever_set_and_only_theirs(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[
            R1,
            reminder_set("g1", 1, GRACE),
            R2,
            ReminderCancelled(reminder_id="r1", by=ADA),
            firing("r2"),
            delivered("r2"),
        ],
        when=AddReminder("r3", new()),
        then=[reminder_set("r3", 3)],
    )


async def test_an_asking_message_delivered_twice_sets_one_reminder(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, given=[R1, R2], when=AddReminder("r1", new()), then=[]
    )


# Cancelling -------------------------------------------------------------------------------


async def test_an_owner_cancels_a_waiting_reminder_by_its_number(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, R2],
        when=CancelOwnReminder(ADA, 2),
        then=[ReminderCancelled(reminder_id="r2", by=ADA)],
    )


async def test_nobody_cancels_another_owners_reminder(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, given=[R1], when=CancelOwnReminder(GRACE, 1), then=[]
    )


@pytest.mark.parametrize(
    "after",
    [
        [firing("r1")],
        [firing("r1"), delivered("r1")],
        [firing("r1"), ReminderFailed(reminder_id="r1", reason="channel_not_found")],
        [ReminderCancelled(reminder_id="r1", by=ADA)],
    ],
    ids=["firing", "delivered", "failed", "cancelled"],
)
async def test_a_reminder_no_longer_waiting_is_not_cancelled(
    scenarios: Scenarios, after: list[DomainEvent]
) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, given=[R1, *after], when=CancelOwnReminder(ADA, 1), then=[]
    )


# Firing -----------------------------------------------------------------------------------


async def test_nothing_is_claimed_before_it_is_due(scenarios: Scenarios) -> None:
    await scenarios.run(REMINDER_STREAM, REMINDERS, given=[R1], when=claim(599), then=[])


async def test_the_reminder_due_first_is_claimed_even_long_after(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[reminder_set("r1", 1, due_in=900), reminder_set("r2", 2, due_in=600)],
        when=claim(3600),  # Lukas was down when both fell due
        then=[firing("r2")],
    )


async def test_a_claim_by_a_live_process_is_left_to_it(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, R2, firing("r1", OTHER)],
        when=claim(700),
        then=[firing("r2")],
    )


@pytest.mark.parametrize("claimer", [OTHER, None], ids=["gone", "unnamed-old-claim"])
async def test_a_claim_left_by_a_process_that_is_gone_is_taken_over(
    scenarios: Scenarios, claimer: str | None
) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, firing("r1", claimer)],
        when=claim(700, OTHER),
        then=[firing("r1")],
    )


async def test_a_cancellation_after_the_claim_changes_nothing(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, firing("r1", OTHER), ReminderCancelled(reminder_id="r1", by=ADA)],
        when=claim(700, OTHER),
        then=[firing("r1")],
    )


@pytest.mark.parametrize(
    "after",
    [
        [firing("r1"), delivered("r1")],
        [firing("r1"), ReminderFailed(reminder_id="r1", reason="not_in_channel")],
        [ReminderCancelled(reminder_id="r1", by=ADA)],
    ],
    ids=["delivered", "failed", "cancelled"],
)
async def test_a_settled_reminder_is_not_claimed_again(
    scenarios: Scenarios, after: list[DomainEvent]
) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, given=[R1, *after], when=claim(700, OTHER), then=[]
    )


# Outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [delivered("r1"), ReminderFailed(reminder_id="r1", reason="not_in_channel")],
    ids=["delivered", "failed"],
)
async def test_the_outcome_of_a_claimed_reminder_is_recorded(
    scenarios: Scenarios, outcome: ReminderDelivered | ReminderFailed
) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, At(600, firing("r1"))],
        when=RecordOutcome(outcome),
        then=[outcome],
        at=601,
    )


async def test_an_outcome_is_recorded_once(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM,
        REMINDERS,
        given=[R1, firing("r1"), delivered("r1")],
        when=RecordOutcome(delivered("r1")),
        then=[],
    )


async def test_a_reminder_never_claimed_has_no_outcome(scenarios: Scenarios) -> None:
    await scenarios.run(
        REMINDER_STREAM, REMINDERS, given=[R1], when=RecordOutcome(delivered("r1")), then=[]
    )


# Races between processes ------------------------------------------------------------------


async def record(store: EventStore, *events: DomainEvent) -> None:
    for n, event in enumerate(events):
        event_id = f"given-{n}"
        await store.append(REMINDER_STREAM, [NewEvent(event_id, event, EventMetadata(event_id))], n)


async def test_two_processes_claiming_at_once_send_the_reminder_once(
    scenarios: Scenarios,
) -> None:
    await record(scenarios.store, R1)

    async def rival_claims(store: EventStore) -> None:
        rival = ClaimDue(now=START + dt.timedelta(seconds=700), by=OTHER, gone=frozenset())
        await decide_on_stream(
            store, REMINDER_STREAM, REMINDERS, rival, EventMetadata("rival", None, OTHER)
        )

    racing = RivalFirst(scenarios.store, lambda: rival_claims(scenarios.store))
    decided = await decide_on_stream(
        racing, REMINDER_STREAM, REMINDERS, claim(700), EventMetadata("mine", None, ME)
    )
    assert decided.events == ()  # the second look found the rival's claim
    stored = [r.event for r in await scenarios.store.read_stream(REMINDER_STREAM)]
    assert stored == [R1, firing("r1", OTHER)]


async def test_two_reminders_set_at_once_get_different_numbers(scenarios: Scenarios) -> None:
    async def rival_sets(store: EventStore) -> None:
        await decide_on_stream(
            store, REMINDER_STREAM, REMINDERS, AddReminder("r2", new()), EventMetadata("rival")
        )

    racing = RivalFirst(scenarios.store, lambda: rival_sets(scenarios.store))
    decided = await decide_on_stream(
        racing, REMINDER_STREAM, REMINDERS, AddReminder("r1", new()), EventMetadata("mine")
    )
    assert decided.events == (reminder_set("r1", 2),)
    stored = [r.event for r in await scenarios.store.read_stream(REMINDER_STREAM)]
    assert stored == [reminder_set("r2", 1), reminder_set("r1", 2)]
