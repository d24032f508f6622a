"""The event store contract, run against every implementation: in memory, SQLite and
PostgreSQL, each also with personal words sealed (ADR 27), as every command opens them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from fakes.clock import FakeClock
from fakes.events import delivered, new_event

from lukas.adapters.memory.data_keys import InMemoryDataKeys
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.postgres.event_store import PostgresEventStore
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.event_store import (
    NO_STREAM,
    ConcurrencyError,
    EventMetadata,
    EventStore,
    RecordedEvent,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(
    params=["memory", "sqlite", "postgres", "sealed-memory", "sealed-sqlite", "sealed-postgres"]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    clock = FakeClock()
    kind = request.param.removeprefix("sealed-")
    inner: EventStore
    async with contextlib.AsyncExitStack() as stack:
        if kind == "memory":
            inner = InMemoryEventStore(clock)
        elif kind == "sqlite":
            inner = await stack.enter_async_context(
                await SqliteEventStore.open(tmp_path / "events.db", clock)
            )
        else:
            url = request.getfixturevalue("postgres_url")
            inner = await stack.enter_async_context(await PostgresEventStore.open(url, clock))
        if request.param.startswith("sealed-"):
            yield await SealedEventStore.open(inner, InMemoryDataKeys(), clock)
        else:
            yield inner


def texts(events: list[RecordedEvent]) -> list[str]:
    return [getattr(e.event, "text", e.event_id) for e in events]


async def test_a_new_stream_starts_at_version_one(store: EventStore) -> None:
    result = await store.append("s", [new_event("a"), new_event("b")], NO_STREAM)
    assert (result.stream_version, result.appended) == (2, 2)
    events = await store.read_stream("s")
    assert [e.version for e in events] == [1, 2]
    assert texts(events) == ["a", "b"]


async def test_positions_give_one_global_order_across_streams(store: EventStore) -> None:
    await store.append("s1", [new_event("a")], NO_STREAM)
    await store.append("s2", [new_event("b")], NO_STREAM)
    await store.append("s1", [new_event("c")], 1)
    everything = await store.read_all()
    assert texts(everything) == ["a", "b", "c"]
    assert [e.position for e in everything] == [1, 2, 3]
    assert [(e.stream_id, e.version) for e in everything] == [("s1", 1), ("s2", 1), ("s1", 2)]


async def test_a_wrong_expected_version_raises_and_writes_nothing(store: EventStore) -> None:
    await store.append("s", [new_event("a")], NO_STREAM)
    with pytest.raises(ConcurrencyError) as raised:
        await store.append("s", [new_event("b"), new_event("c")], NO_STREAM)
    assert (raised.value.expected, raised.value.actual) == (0, 1)
    assert texts(await store.read_all()) == ["a"]


async def test_no_expected_version_appends_at_the_end(store: EventStore) -> None:
    await store.append("s", [new_event("a")], None)
    result = await store.append("s", [new_event("b")], None)
    assert result.stream_version == 2


async def test_appending_a_stored_event_id_is_a_no_op(store: EventStore) -> None:
    first = new_event("a", event_id="same")
    await store.append("s", [first], NO_STREAM)
    again = await store.append("s", [first], NO_STREAM)  # stale version: still not a conflict
    assert again.was_duplicate
    assert again.stream_version == 1
    assert texts(await store.read_all()) == ["a"]


async def test_a_batch_with_a_stored_id_appends_only_the_new_events(store: EventStore) -> None:
    first = new_event("a", event_id="one")
    await store.append("s", [first], NO_STREAM)
    result = await store.append("s", [first, new_event("b")], 1)
    assert (result.stream_version, result.appended) == (2, 1)


async def test_a_batch_repeating_an_id_is_refused_whole(store: EventStore) -> None:
    with pytest.raises(ValueError, match="twice"):
        await store.append("s", [new_event("a", "x"), new_event("b", "x")], NO_STREAM)
    assert await store.read_all() == []


async def test_a_batch_is_appended_together(store: EventStore) -> None:
    await store.append("other", [new_event("x")], NO_STREAM)
    await store.append("s", [new_event("a"), new_event("b"), new_event("c")], NO_STREAM)
    events = await store.read_all(from_position=1)
    assert [e.position for e in events] == [2, 3, 4]
    assert len({e.recorded_at for e in events}) == 1


async def test_reads_forward_from_a_version_and_the_tail(store: EventStore) -> None:
    await store.append("s", [new_event(t) for t in "abcde"], NO_STREAM)
    assert texts(await store.read_stream("s", from_version=4)) == ["d", "e"]
    assert texts(await store.read_stream_tail("s", 2)) == ["d", "e"]
    assert texts(await store.read_stream_tail("s", 10)) == list("abcde")
    assert await store.read_stream_tail("s", 0) == []
    assert await store.read_stream("missing") == []
    assert await store.read_stream_tail("missing", 3) == []


async def test_read_all_between_positions_with_a_limit(store: EventStore) -> None:
    await store.append("s", [new_event(t) for t in "abcde"], NO_STREAM)
    assert texts(await store.read_all(from_position=1, until_position=3)) == ["b", "c"]
    assert texts(await store.read_all(from_position=2, limit=2)) == ["c", "d"]
    assert await store.read_all(from_position=5) == []


async def test_events_keep_their_identity_metadata_and_time(store: EventStore) -> None:
    event = new_event("a", event_id="e-1")
    await store.append("s", [event, delivered("e-1")], NO_STREAM)
    first, second = await store.read_stream("s")
    assert first.event == event.event
    assert first.event_id == "e-1"
    assert first.metadata == EventMetadata(correlation_id="e-1")
    assert second.metadata == EventMetadata(correlation_id="e-1", causation_id="e-1")
    assert first.recorded_at == FakeClock().now()


async def test_a_subscription_catches_up_then_follows(store: EventStore) -> None:
    await store.append("s", [new_event(t) for t in "abc"], NO_STREAM)
    seen: list[RecordedEvent] = []
    caught_up, done = anyio.Event(), anyio.Event()

    async def follow() -> None:
        async for recorded in store.subscribe(from_position=1):
            seen.append(recorded)
            if len(seen) == 2:
                caught_up.set()
            if len(seen) == 4:
                done.set()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(follow)
        with anyio.fail_after(5):
            await caught_up.wait()
            await store.append("t", [new_event("d"), new_event("e")], NO_STREAM)
            await done.wait()
    assert texts(seen) == ["b", "c", "d", "e"]
    assert [e.position for e in seen] == [2, 3, 4, 5]
