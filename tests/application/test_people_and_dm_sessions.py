"""Names looked up once and remembered; DMs that start afresh after a quiet day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.dm_sessions import DmSessions
from lukas.application.people import PeopleDirectory
from lukas.domain.conversation_key import ConversationKey

pytestmark = pytest.mark.anyio


class FakeLookup:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[str] = []

    async def display_name(self, person_id: str) -> str | None:
        self.asked.append(person_id)
        return self.names.get(person_id)


async def test_a_name_is_looked_up_once_and_survives_a_restart() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    lookup = FakeLookup({"U1": "Ada"})
    people = PeopleDirectory(store=store, lookup=lookup, clock=clock)
    assert await people.name_of("U1") == "Ada"
    assert await people.name_of("U1") == "Ada"
    restarted = PeopleDirectory(store=store, lookup=lookup, clock=clock)
    assert await restarted.name_of("U1") == "Ada"
    assert lookup.asked == ["U1"]


async def test_a_name_is_refreshed_after_a_day() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    lookup = FakeLookup({"U1": "Ada"})
    people = PeopleDirectory(store=store, lookup=lookup, clock=clock)
    await people.name_of("U1")
    lookup.names["U1"] = "Ada L."
    clock.advance(timedelta(days=1, minutes=1).total_seconds())
    assert await people.name_of("U1") == "Ada L."
    assert lookup.asked == ["U1", "U1"]


async def test_an_unknown_person_is_called_by_their_id_or_last_known_name() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    lookup = FakeLookup({"U1": "Ada"})
    people = PeopleDirectory(store=store, lookup=lookup, clock=clock)
    assert await people.name_of("U404") == "U404"
    await people.name_of("U1")
    del lookup.names["U1"]
    clock.advance(2 * 86_400)
    assert await people.name_of("U1") == "Ada"


async def test_a_dm_continues_until_a_quiet_day_then_starts_afresh() -> None:
    clock = FakeClock()
    store = InMemoryEventStore(clock)
    sessions = DmSessions(store, clock, idle=timedelta(hours=24))
    first = await sessions.conversation_for("D1", "100.1")
    assert first == ConversationKey("slack-dm:D1:100.1")
    await store.append(first.stream_id, [new_event("hello")], 0)
    clock.advance(23 * 3600)
    assert await sessions.conversation_for("D1", "200.1") == first
    await store.append(first.stream_id, [new_event("again")], 1)
    clock.advance(25 * 3600)
    second = await sessions.conversation_for("D1", "300.1")
    assert second == ConversationKey("slack-dm:D1:300.1")
    assert await sessions.conversation_for("D1", "300.1") == second  # a redelivery: same one
    assert await DmSessions(store, clock).conversation_for("D2", "1.0") != second
