"""Appends that arrive together are written together (group commit), each on its own terms.

To gather a batch the tests hold the file's write lock from another connection: appends
started together while it is held wait for it in one transaction; appends started while
an earlier batch waits queue up for the next.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.event_store import (
    NO_STREAM,
    AppendResult,
    ConcurrencyError,
    EventStoreError,
    NewEvent,
)

pytestmark = pytest.mark.anyio

Outcome = AppendResult | EventStoreError


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def appended_while_locked(
    store: SqliteEventStore, path: Path, appends: list[tuple[str, list[NewEvent], int | None]]
) -> list[Outcome]:
    """Each append's result or error, all started while another connection holds the lock."""
    outcomes: list[Outcome | None] = [None] * len(appends)

    async def one(index: int, stream: str, events: list[NewEvent], expected: int | None) -> None:
        try:
            outcomes[index] = await store.append(stream, events, expected)
        except EventStoreError as error:
            outcomes[index] = error

    async with anyio.create_task_group() as tasks:
        with write_lock_held(path):
            for index, (stream, events, expected) in enumerate(appends):
                tasks.start_soon(one, index, stream, events, expected)
            await anyio.wait_all_tasks_blocked()
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


async def test_a_conflict_in_a_batch_undoes_only_its_own_append(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        first, second, rival, other = (new_event(t) for t in ("one", "two", "rival", "other"))
        outcomes = await appended_while_locked(
            store,
            path,
            [
                ("s", [first], NO_STREAM),
                # Batched after the first: it sees the first's event in the same transaction.
                ("s", [second], 1),
                ("s", [rival], 1),
                ("t", [other], NO_STREAM),
            ],
        )
        assert outcomes[:2] == [AppendResult(1, 1), AppendResult(2, 1)]
        assert isinstance(outcomes[2], ConcurrencyError)
        assert (outcomes[2].expected, outcomes[2].actual) == (1, 2)
        assert outcomes[3] == AppendResult(1, 1)
        kept = [(e.stream_id, e.event_id) for e in await store.read_all()]
    assert kept == [
        ("s", first.event_id),
        ("s", second.event_id),
        ("t", other.event_id),
    ]


async def test_a_batch_keeps_each_streams_order_and_absorbs_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    events = [new_event(f"m{n}") for n in range(6)]
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        outcomes = await appended_while_locked(
            store,
            path,
            [
                ("a", [events[0]], None),
                ("b", [events[1], events[2]], NO_STREAM),
                ("a", [events[3]], None),
                ("b", [events[4]], 2),
                ("a", [events[0], events[5]], None),
            ],
        )
        assert outcomes == [
            AppendResult(1, 1),
            AppendResult(2, 2),
            AppendResult(2, 1),
            AppendResult(3, 1),
            # The first is stored already: only the new one is written.
            AppendResult(3, 1),
        ]
        a = [e.event_id for e in await store.read_stream("a")]
        b = [e.event_id for e in await store.read_stream("b")]
    assert a == [events[0].event_id, events[3].event_id, events[5].event_id]
    assert b == [events[1].event_id, events[2].event_id, events[4].event_id]


async def test_every_append_is_committed_when_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        events = [new_event(f"m{n}") for n in range(20)]
        seen: list[int] = []

        async def append_then_look(n: int) -> None:
            await store.append(f"s{n}", [events[n]], NO_STREAM)
            # A connection of its own, as another process would read the file.
            other = sqlite3.connect(path)
            try:
                rows = other.execute(
                    "SELECT COUNT(*) FROM events WHERE event_id = ?", [events[n].event_id]
                ).fetchall()
            finally:
                other.close()
            seen.append(rows[0][0])

        async with anyio.create_task_group() as tasks:
            for n in range(20):
                tasks.start_soon(append_then_look, n)
    assert seen == [1] * 20


async def test_an_append_cancelled_before_its_batch_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    kept, dropped = new_event("kept"), new_event("dropped")
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        async with anyio.create_task_group() as tasks:
            with write_lock_held(path):
                tasks.start_soon(store.append, "s", [kept], NO_STREAM)
                # In the writer's hands, waiting for the lock; the next one queues.
                await anyio.wait_all_tasks_blocked()
                async with anyio.create_task_group() as doomed:
                    doomed.start_soon(store.append, "t", [dropped], NO_STREAM)
                    await anyio.wait_all_tasks_blocked()
                    doomed.cancel_scope.cancel()
        ids = [e.event_id for e in await store.read_all()]
    assert ids == [kept.event_id]


async def test_reads_answer_while_a_write_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        await store.append("s", [new_event("before")], NO_STREAM)
        read: list[int] = []
        async with anyio.create_task_group() as tasks:
            with write_lock_held(path):
                tasks.start_soon(store.append, "s", [new_event("after")], 1)
                await anyio.wait_all_tasks_blocked()
                # The append is stuck behind the lock; a read is not stuck behind the append.
                read.append(len(await store.read_stream("s")))
        assert read == [1]
        assert len(await store.read_stream("s")) == 2
