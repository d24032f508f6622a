"""Syncing the roster into the log: one event per change, once, across instances."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.clock import FakeClock
from fakes.roster import FakeRoster

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.event_store import EventStoreError, RecordedEvent
from lukas.application.ports.roster import RosterUnavailable
from lukas.application.roster import ROSTER_STREAM, RosterSync, read_roster, run_roster_sync
from lukas.domain.events import MemberJoined, MemberLeft, MemberUpdated
from lukas.domain.roster import Member

pytestmark = pytest.mark.anyio

ADA = Member("U1", "Ada", "Ada Lovelace")
BOB = Member("U2", "Bob", "Bob Builder")
CY = Member("U3", "Cy", "Cy")


async def test_first_sync_records_everyone_then_nothing_until_a_change() -> None:
    store = InMemoryEventStore(FakeClock())
    platform = FakeRoster([ADA, BOB])
    sync = RosterSync(store, platform, "instance-a")
    assert [type(c) for c in await sync.sync()] == [MemberJoined, MemberJoined]
    assert await sync.sync() == []
    platform.members = [
        Member("U1", "Countess", "Ada Lovelace"),
        Member("U2", "Bob", "Bob", deleted=True),
    ]
    assert [type(c) for c in await sync.sync()] == [MemberUpdated, MemberLeft]
    roster = await read_roster(store)
    assert [(m.member_id, m.name, m.deleted) for m in roster] == [
        ("U1", "Countess", False),
        ("U2", "Bob", True),
    ]
    assert len(await store.read_stream(ROSTER_STREAM)) == 4


async def test_two_instances_syncing_record_each_change_once() -> None:
    store = InMemoryEventStore(FakeClock())
    platform = FakeRoster([ADA, BOB])
    first, second = RosterSync(store, platform, "a"), RosterSync(store, platform, "b")
    await first.sync()
    assert await second.sync() == []
    assert len(await store.read_stream(ROSTER_STREAM)) == 2


async def test_the_latest_sync_wins_when_listings_differ() -> None:
    store = InMemoryEventStore(FakeClock())
    old_listing = FakeRoster([ADA])
    new_listing = FakeRoster([ADA, BOB])
    await RosterSync(store, old_listing, "a").sync()
    # Both compare with the same version of the roster, with different lists.
    await RosterSync(store, new_listing, "b").sync()
    await RosterSync(store, old_listing, "a").sync()
    roster = {m.member_id: m for m in await read_roster(store)}
    assert not roster["U1"].deleted
    assert roster["U2"].deleted  # the older listing came last: Bob is "no longer listed"


async def test_an_unavailable_platform_records_nothing() -> None:
    store = InMemoryEventStore(FakeClock())
    platform = FakeRoster([ADA])
    platform.unavailable = True
    with pytest.raises(RosterUnavailable):
        await RosterSync(store, platform).sync()
    assert await store.read_stream(ROSTER_STREAM) == []


class RacingStore(InMemoryEventStore):
    """Lets a rival sync right after the roster is read, before this sync appends."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.rival: RosterSync | None = None

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        read = await super().read_stream(stream_id, from_version)
        rival, self.rival = self.rival, None
        if rival is not None:
            await rival.sync()
        return read


async def test_a_rival_appending_in_between_forces_a_fresh_comparison() -> None:
    store = RacingStore(FakeClock())
    await RosterSync(store, FakeRoster([ADA]), "a").sync()
    store.rival = RosterSync(store, FakeRoster([ADA, BOB]), "b")
    changes = await RosterSync(store, FakeRoster([ADA, BOB, CY]), "a").sync()
    # The rival recorded Bob; this sync conflicted, read again, and recorded only Cy.
    assert changes == [
        MemberJoined(member_id="U3", name="Cy", real_name="Cy", is_bot=False, timezone=None)
    ]
    assert [m.member_id for m in await read_roster(store)] == ["U1", "U2", "U3"]


async def test_an_empty_listing_is_not_the_whole_team_leaving() -> None:
    store = InMemoryEventStore(FakeClock())
    platform = FakeRoster([ADA, BOB])
    await RosterSync(store, platform).sync()
    platform.members = []
    with pytest.raises(RosterUnavailable, match="listed nobody"):
        await RosterSync(store, platform).sync()
    assert not any(m.deleted for m in await read_roster(store))


class ReadsRecorded(InMemoryEventStore):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.reads_from: list[int] = []

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        self.reads_from.append(from_version)
        return await super().read_stream(stream_id, from_version)


async def test_a_long_running_sync_folds_the_roster_once() -> None:
    store = ReadsRecorded(FakeClock())
    sync = RosterSync(store, FakeRoster([ADA, BOB]), "a")
    for _ in range(3):
        await sync.sync()
    # The second sync folds the two joins the first recorded; the third reads past them.
    assert store.reads_from == [1, 1, 3]


class Stop(Exception):
    """Ends a loop that would run for as long as Lukas does."""


class FlakyStore(InMemoryEventStore):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.failures = 1

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        if self.failures:
            self.failures -= 1
            raise EventStoreError("disk I/O error")
        return await super().read_stream(stream_id, from_version)


async def test_the_sync_loop_outlives_an_unavailable_platform_and_a_failing_log() -> None:
    store = FlakyStore(FakeClock())
    platform = FakeRoster([ADA])
    platform.unavailable = True
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            platform.unavailable = False  # back after a minute
        if len(waits) == 4:
            raise Stop

    with pytest.raises(Stop):
        await run_roster_sync(RosterSync(store, platform), dt.timedelta(hours=24), sleep, 5.0)
    # first wait, then: unavailable (a minute), the log failing (a minute), synced (a day)
    assert waits == [5.0, 60.0, 60.0, 86400.0]
    assert [m.member_id for m in await read_roster(store)] == ["U1"]
