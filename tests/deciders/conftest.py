"""Given/when/then for the deciders, each scenario run through the one runner against the
in-memory store and a real SQLite file: the rules and the store proven together."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.streams import decide_on_stream
from lukas.domain.decider import Decider
from lukas.domain.events import DomainEvent

START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@attrs.frozen
class At:
    """An event recorded `seconds` after the scenario's start."""

    seconds: float
    event: DomainEvent


@attrs.define
class Scenarios:
    store: EventStore
    clock: FakeClock

    async def run(
        self,
        stream: str,
        decider: Decider[Any, Any],
        *,
        given: Sequence[At | DomainEvent] = (),
        when: object,
        then: Sequence[DomainEvent],
        at: float | None = None,
    ) -> None:
        """Record `given` (each at its time), decide `when` (at `at` seconds, default just
        after the last given event), and check that exactly `then` was appended, by the
        runner on this store and by the pure rules alike."""
        recorded: list[tuple[DomainEvent, dt.datetime]] = []
        for n, item in enumerate(given):
            moment = item if isinstance(item, At) else At(float(n), item)
            self._move_to(moment.seconds)
            event_id = derive_event_id("given", stream, str(n))
            await self.store.append(
                stream, [NewEvent(event_id, moment.event, EventMetadata(event_id))], None
            )
            recorded.append((moment.event, self.clock.now()))
        self._move_to(at if at is not None else float(len(given)))
        assert list(decider.decide(when, decider.fold(recorded))) == list(then)
        decided = await decide_on_stream(
            self.store, stream, decider, when, EventMetadata("when", None, "instance-a")
        )
        assert list(decided.events) == list(then)
        stored = [r.event for r in await self.store.read_stream(stream)]
        assert stored == [event for event, _ in recorded] + list(then)

    def _move_to(self, seconds: float) -> None:
        target = START + dt.timedelta(seconds=seconds)
        assert target >= self.clock.now(), "given events must be in time order"
        self.clock.advance((target - self.clock.now()).total_seconds())


@pytest.fixture(params=["memory", "sqlite"])
async def scenarios(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Scenarios]:
    clock = FakeClock(START)
    if request.param == "memory":
        yield Scenarios(InMemoryEventStore(clock), clock)
        return
    store = await SqliteEventStore.open(tmp_path / "scenarios.db", clock)
    try:
        yield Scenarios(store, clock)
    finally:
        await store.close()
