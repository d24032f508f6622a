"""The checkpoint contract, run against every implementation: in memory, SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.postgres.checkpoints import PostgresCheckpoints
from lukas.adapters.postgres.event_store import PostgresEventStore
from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.check_ins import CHECK_IN_SCHEDULE
from lukas.application.ports.checkpoints import Checkpoints, CheckpointSpec, Saved
from lukas.application.projections.conversation_list import CONVERSATION_LIST, ConversationSummary
from lukas.application.projections.engagement_stats import EngagementStats, MemberCheckIns
from lukas.application.projections.pending_work import (
    PENDING_WORK,
    Delivery,
    PendingInbound,
    PendingMessage,
    PendingWork,
)
from lukas.application.projections.statistics import STATISTICS, Statistics
from lukas.application.projections.usage_stats import DayStats
from lukas.domain.check_in_schedule import CheckInState
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    CheckInPostponed,
    CheckInWritten,
    InboundReceived,
    ReplyFailed,
    ReplyGenerated,
    Usage,
)
from lukas.domain.failures import FailureKind
from lukas.domain.requests import DrawPicture
from lukas.domain.routing import Route, RouteKind

pytestmark = pytest.mark.anyio

AT = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)
KEY = ConversationKey("slack-dm:D1")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def checkpoints(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Checkpoints]:
    if request.param == "memory":
        yield InMemoryCheckpoints()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        async with await PostgresEventStore.open(url, FakeClock()):
            pass  # the store makes the schema and its tables
        async with await PostgresCheckpoints.open(url) as postgres:
            yield postgres
        return
    path = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(path, FakeClock()):
        pass  # the store makes the file and its tables
    async with await SqliteCheckpoints.open(path) as sqlite:
        yield sqlite


def pending_work() -> PendingWork:
    """A state holding every kind of value the fold keeps: events, routes, requests, times."""
    received = InboundReceived(
        platform="slack",
        channel="D1",
        ts="1700000000.000100",
        thread_ts=None,
        author_id="U1",
        text="hello <@ULUKAS> ünïcode \ud83d",
        is_direct=True,
        mentions_me=False,
    )
    work = PendingWork()
    work.inbound["in-1"] = PendingInbound(Delivery("in-1", received, AT, failures=2), 7, "i-a")
    reply = ReplyGenerated(
        reply_to="m-1",
        person_id="U1",
        text="Hi!",
        provider="openai",
        model="gpt-5.4-mini",
        usage=Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5),
        finish_reason="stop",
        latency_ms=12,
        context_tokens=3,
        token_count=2,
        first_text_ms=40,
    )
    failed = ReplyFailed(
        reply_to="m-2",
        person_id="U1",
        kind=FailureKind.TIMEOUT,
        detail="slow",
        attempts=3,
        fallback_text="Hm.",
    )
    picture = Route(RouteKind.REQUEST, DrawPicture(theme="honey", occasion=None))
    outcomes: list[tuple[ReplyGenerated | ReplyFailed | None, Route]] = [
        (reply, Route.addressed()),
        (failed, picture),
        (None, Route.unasked()),
    ]
    for number, (outcome, route) in enumerate(outcomes, 1):
        work.messages[f"m-{number}"] = PendingMessage(
            key=KEY,
            message_id=f"m-{number}",
            platform_message_id=f"p-{number}",
            position=10 + number,
            received_at=AT,
            owner=None,
            author_id="U1",
            author_name="Ada",
            route=route,
            outcome=outcome,
            open_stream=f"C1/{number}.5" if number == 1 else None,
        )
    return work


def statistics() -> Statistics:
    usage = {("2026-12-03", "openai"): DayStats(messages=3, replies=2, cost_usd=0.04)}
    engagement = EngagementStats(3, 1, 2, {"U1": MemberCheckIns("Ada", delivered=4)})
    return usage, engagement


async def test_nothing_saved_is_nothing_found(checkpoints: Checkpoints) -> None:
    assert await checkpoints.load(PENDING_WORK) is None


async def test_a_saved_state_comes_back_equal(checkpoints: Checkpoints) -> None:
    work = pending_work()
    await checkpoints.save(PENDING_WORK, Saved(42, work))
    assert await checkpoints.load(PENDING_WORK) == Saved(42, work)
    await checkpoints.save(STATISTICS, Saved(43, statistics()))
    assert await checkpoints.load(STATISTICS) == Saved(43, statistics())
    listed = {KEY: ConversationSummary(KEY, AT, AT, 9, messages=2, replies=1)}
    await checkpoints.save(CONVERSATION_LIST, Saved(44, listed))
    assert await checkpoints.load(CONVERSATION_LIST) == Saved(44, listed)


async def test_the_state_is_copied_so_folding_on_changes_nothing_saved(
    checkpoints: Checkpoints,
) -> None:
    work = pending_work()
    await checkpoints.save(PENDING_WORK, Saved(42, work))
    work.messages.clear()
    loaded = await checkpoints.load(PENDING_WORK)
    assert loaded is not None
    assert set(loaded.state.messages) == {"m-1", "m-2", "m-3"}
    loaded.state.inbound.clear()
    again = await checkpoints.load(PENDING_WORK)
    assert again is not None
    assert set(again.state.inbound) == {"in-1"}


async def test_a_new_save_replaces_the_old_one(checkpoints: Checkpoints) -> None:
    await checkpoints.save(PENDING_WORK, Saved(1, PendingWork()))
    await checkpoints.save(PENDING_WORK, Saved(5, pending_work()))
    assert await checkpoints.load(PENDING_WORK) == Saved(5, pending_work())


async def test_a_checkpoint_of_another_version_is_not_used(checkpoints: Checkpoints) -> None:
    await checkpoints.save(PENDING_WORK, Saved(42, pending_work()))
    newer = CheckpointSpec[PendingWork](PENDING_WORK.name, PENDING_WORK.version + 1, PendingWork)
    assert await checkpoints.load(newer) is None


async def test_a_state_of_another_shape_is_not_used(checkpoints: Checkpoints) -> None:
    await checkpoints.save(STATISTICS, Saved(3, statistics()))
    # Same name and version, other type: code that forgot to bump the version.
    confused = CheckpointSpec[PendingWork](STATISTICS.name, STATISTICS.version, PendingWork)
    assert await checkpoints.load(confused) is None


async def test_sqlite_a_damaged_row_is_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(path, FakeClock()):
        pass
    async with await SqliteCheckpoints.open(path) as checkpoints:
        await checkpoints.save(PENDING_WORK, Saved(42, pending_work()))
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE checkpoints SET state = '{\"messages\": 3}'")
        assert await checkpoints.load(PENDING_WORK) is None


async def test_a_check_in_schedule_comes_back_equal(checkpoints: Checkpoints) -> None:
    written = CheckInWritten(
        member_id="U2", member_name="Bo", text="How is it going?", written_by="t", reason="r"
    )
    state = CheckInState(
        scheduled=True,
        due=AT,
        pending=written,
        last_turn={"U1": AT, "U2": AT - dt.timedelta(days=3)},
        last_postponement=CheckInPostponed(due=None, reason="paused"),
        interval="1-3 days",
    )
    await checkpoints.save(CHECK_IN_SCHEDULE, Saved(12, state))
    assert await checkpoints.load(CHECK_IN_SCHEDULE) == Saved(12, state)


async def test_scrub_leaves_nothing_to_load_and_saving_goes_on(checkpoints: Checkpoints) -> None:
    await checkpoints.save(PENDING_WORK, Saved(42, pending_work()))
    await checkpoints.save(STATISTICS, Saved(43, statistics()))
    await checkpoints.scrub()
    assert await checkpoints.load(PENDING_WORK) is None
    assert await checkpoints.load(STATISTICS) is None
    await checkpoints.scrub()  # nothing left to scrub is no error
    await checkpoints.save(STATISTICS, Saved(50, statistics()))
    assert await checkpoints.load(STATISTICS) == Saved(50, statistics())
