"""Check-ins wired to the real Slack adapter and a real SQLite log, against the stand-in
Slack, with the clock and the random source injected: who is written to, in what order,
and when not at all."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.instances import FakeInstances
from fakes.token_counter import FakeTokenCounter
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackStandIn

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.slack.web import SlackWeb
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.check_ins import CheckIns, CheckInSettings
from lukas.application.dm_sessions import DmSessions
from lukas.application.live_settings import LiveSettings, Tunables
from lukas.application.proactive import ProactiveSwitch
from lukas.application.roster import RosterSync

pytestmark = pytest.mark.anyio

MONDAY_NINE = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@asynccontextmanager
async def lukas(
    slack: SlackStandIn,
    db: Path,
    clock: FakeClock,
    *,
    draws: Sequence[float] = (0.5,),
    instance: str = "instance-a",
    hours: str = "08:00-18:00",
) -> AsyncIterator[tuple[CheckIns, ProactiveSwitch]]:
    """One Lukas process: its store on `db`, its Slack client, its roster synced at start."""
    web = SlackWeb(AsyncWebClient(token="xoxb-test-token-1234", base_url=slack.api_url))
    async with await SqliteEventStore.open(db, clock) as store:
        await RosterSync(store, web, instance).sync()
        source = itertools.cycle(draws)
        switch = ProactiveSwitch(store, clock, instance)
        check_ins = CheckIns(
            store=store,
            checkpoints=InMemoryCheckpoints(),
            clock=clock,
            random=lambda: next(source),
            settings=CheckInSettings(
                timezone=dt.UTC, lukas_id=slack.bot_user_id, persona="You are Lukas."
            ),
            tunables=LiveSettings(store, Tunables(dm_interval="1h-3h", active_hours=hours)),
            switch=switch,
            model=FakeChatModel(*(f"How is it going? ({n})" for n in range(1, 30))),
            counter=FakeTokenCounter(),
            messages=web,
            sessions=DmSessions(store, clock, dt.timedelta(hours=24), instance),
            instances=FakeInstances(instance),
        )
        yield check_ins, switch


async def run_until(check_ins: CheckIns, clock: FakeClock, moment: dt.datetime) -> None:
    """Ticks as the bot's loop does, the clock jumping to each time it would wake."""
    for _ in range(20_000):
        look_again = min(await check_ins.tick(), moment)
        if look_again <= clock.now() < moment:
            continue
        if clock.now() >= moment:
            return
        clock.advance((look_again - clock.now()).total_seconds())
    raise AssertionError("the schedule never settled")


def team(slack: SlackStandIn) -> None:
    slack.add_user("U0ADA", "Ada")
    slack.add_user("U0BOT", "Build Bot", is_bot=True)
    slack.add_user("U0BOB", "Bob")
    slack.add_user("U0GONE", "Gone", deleted=True)


def dm_channels(slack: SlackStandIn) -> list[str]:
    return [str(call.args["channel"]) for call in slack.posted_messages()]


async def test_rotation_over_several_intervals_skips_bots_leavers_and_lukas(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    team(slack_standin)
    clock = FakeClock(MONDAY_NINE)
    # Draws 0.0 and 1.0 alternate: waits of one hour, then three.
    async with lukas(slack_standin, tmp_path / "lukas.db", clock, draws=[0.0, 1.0]) as (
        check_ins,
        _,
    ):
        await run_until(check_ins, clock, MONDAY_NINE + dt.timedelta(hours=8, minutes=30))
    # Due at 10:00, 13:00, 14:00, 17:00: Ada and Bob in turn, nobody else ever.
    assert dm_channels(slack_standin) == ["D0ADA", "D0BOB", "D0ADA", "D0BOB"]
    texts = [str(call.args["markdown_text"]) for call in slack_standin.posted_messages()]
    assert texts == [f"How is it going? ({n})" for n in range(1, 5)]


async def test_outside_active_hours_and_while_paused_nobody_is_written_to(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    team(slack_standin)
    friday_evening = dt.datetime(2026, 11, 27, 17, 30, tzinfo=dt.UTC)
    clock = FakeClock(friday_evening)
    async with lukas(slack_standin, tmp_path / "lukas.db", clock) as (check_ins, switch):
        await run_until(check_ins, clock, MONDAY_NINE - dt.timedelta(hours=1, minutes=1))
        assert dm_channels(slack_standin) == []  # the whole weekend, and Monday before eight
        await switch.pause(by="U0ADMIN")
        await run_until(check_ins, clock, MONDAY_NINE + dt.timedelta(hours=2))
        assert dm_channels(slack_standin) == []
        await switch.resume(by="U0ADMIN")
        await run_until(check_ins, clock, clock.now() + dt.timedelta(minutes=2))
    assert dm_channels(slack_standin) == ["D0ADA"]


async def test_a_restart_in_the_middle_of_an_interval_keeps_the_due_time(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    team(slack_standin)
    clock = FakeClock(MONDAY_NINE)
    db = tmp_path / "lukas.db"
    async with lukas(slack_standin, db, clock, draws=[0.5]) as (check_ins, _):
        await check_ins.tick()  # due 2 hours on, at 11:00
    clock.advance(3600)
    # Another process, other draws: the due time is read from the log, not drawn again.
    async with lukas(slack_standin, db, clock, draws=[0.0], instance="instance-b") as (
        check_ins,
        _,
    ):
        await run_until(check_ins, clock, MONDAY_NINE + dt.timedelta(hours=1, minutes=59))
        assert dm_channels(slack_standin) == []
        await run_until(check_ins, clock, MONDAY_NINE + dt.timedelta(hours=2, minutes=1))
    assert dm_channels(slack_standin) == ["D0ADA"]
