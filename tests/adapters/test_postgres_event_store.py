"""The PostgreSQL event store against a real server: what the contract suite cannot say
(the database's own rules, concurrent writers, other processes' appends, rights, lost
connections)."""

from __future__ import annotations

import uuid

import anyio
import anyio.lowlevel
import psycopg
import pytest
from fakes.clock import FakeClock
from fakes.events import new_event
from psycopg import sql
from standins.postgres_server import make_conninfo_url

from lukas.adapters.postgres.connection import MissingDatabaseError, PermissionDeniedError
from lukas.adapters.postgres.event_store import PostgresEventStore
from lukas.application.ports.event_store import (
    NO_STREAM,
    EventStoreError,
    NotAnEventStoreError,
    RecordedEvent,
)

pytestmark = pytest.mark.anyio


async def test_the_database_refuses_update_delete_and_truncate(postgres_url: str) -> None:
    async with await PostgresEventStore.open(postgres_url, FakeClock()) as store:
        await store.append("s", [new_event("a")], NO_STREAM)
    for statement in (
        "UPDATE lukas.events SET stream_id = 'x'",
        "DELETE FROM lukas.events",
        "TRUNCATE lukas.events",
    ):
        with (
            psycopg.connect(postgres_url, autocommit=True) as raw,
            pytest.raises(psycopg.errors.RestrictViolation, match="append-only"),
        ):
            raw.execute(statement)


async def test_writers_in_parallel_leave_no_gap_that_a_reader_could_see(
    postgres_url: str,
) -> None:
    """Three stores (as three processes would) append at once while a reader reads the log
    again and again: every read is 1..n without a hole, and the end has every event."""
    gaps: list[list[int]] = []
    stores = [await PostgresEventStore.open(postgres_url, FakeClock()) for _ in range(3)]
    try:
        done = anyio.Event()

        async def write(store: PostgresEventStore, name: str) -> None:
            for number in range(40):
                await store.append(f"{name}-{number % 4}", [new_event(f"{name}{number}")], None)

        async def read(store: PostgresEventStore) -> None:
            while not done.is_set():
                positions = [e.position for e in await store.read_all()]
                if positions != list(range(1, len(positions) + 1)):
                    gaps.append(positions)
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as readers:
            readers.start_soon(read, stores[0])
            async with anyio.create_task_group() as writers:
                for number, store in enumerate(stores):
                    writers.start_soon(write, store, f"w{number}")
            done.set()
        everything = await stores[0].read_all()
    finally:
        for store in stores:
            await store.close()
    assert gaps == []
    assert [e.position for e in everything] == list(range(1, 121))
    for stream in {e.stream_id for e in everything}:
        versions = [e.version for e in everything if e.stream_id == stream]
        assert versions == list(range(1, len(versions) + 1))


async def test_a_subscriber_wakes_for_another_process_append(postgres_url: str) -> None:
    async with (
        await PostgresEventStore.open(postgres_url, FakeClock()) as reader,
        await PostgresEventStore.open(postgres_url, FakeClock()) as writer,
    ):
        seen: list[RecordedEvent] = []
        first = anyio.Event()

        async def follow() -> None:
            async for recorded in reader.subscribe():
                seen.append(recorded)
                first.set()
                return

        async with anyio.create_task_group() as group:
            group.start_soon(follow)
            await anyio.sleep(0.2)  # listening, nothing to read
            started = anyio.current_time()
            await writer.append("s", [new_event("hello")], NO_STREAM)
            with anyio.fail_after(5):
                await first.wait()
            woken_after = anyio.current_time() - started
    assert [e.position for e in seen] == [1]
    # The SQLite store polls every 0.2 s; a notification arrives in milliseconds.
    assert woken_after < 0.15


async def test_the_schema_is_made_once_by_writers_starting_together(postgres_url: str) -> None:
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(_open_and_append, postgres_url)
    async with await PostgresEventStore.open(postgres_url, FakeClock(), create=False) as store:
        assert len(await store.read_all()) == 4


async def _open_and_append(url: str) -> None:
    async with await PostgresEventStore.open(url, FakeClock()) as store:
        await store.append(f"s-{uuid.uuid4().hex}", [new_event("a")], NO_STREAM)


async def test_opening_to_read_an_empty_database_says_nothing_is_there(postgres_url: str) -> None:
    with pytest.raises(MissingDatabaseError, match="no event store in postgresql://"):
        await PostgresEventStore.open(postgres_url, FakeClock(), create=False)


async def test_a_missing_database_is_named(postgres_server: str) -> None:
    url = make_conninfo_url(postgres_server, "lukas_test_not_there")
    with pytest.raises(MissingDatabaseError, match="lukas_test_not_there"):
        await PostgresEventStore.open(url, FakeClock())


async def test_a_newer_schema_is_refused_untouched(postgres_url: str) -> None:
    async with await PostgresEventStore.open(postgres_url, FakeClock()):
        pass
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("INSERT INTO lukas.schema_version (version) VALUES (99)")
    with pytest.raises(NotAnEventStoreError, match="schema 99, newer"):
        await PostgresEventStore.open(postgres_url, FakeClock())


async def test_another_programs_lukas_schema_is_not_touched(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("CREATE SCHEMA lukas")
        raw.execute("CREATE TABLE lukas.things (id int)")
    with pytest.raises(NotAnEventStoreError, match="refusing to touch it"):
        await PostgresEventStore.open(postgres_url, FakeClock())


async def test_a_role_without_rights_gets_one_clear_line(postgres_url: str) -> None:
    role = f"lukas_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        url = postgres_url.replace("postgresql://", f"postgresql://{role}@", 1)
        if "@" in postgres_url:  # the server URL names a user already: put ours instead
            url = "postgresql://" + role + "@" + postgres_url.split("@", 1)[1]
        with pytest.raises(PermissionDeniedError) as raised:
            await PostgresEventStore.open(url, FakeClock())
        message = str(raised.value)
        assert "\n" not in message
        assert "lacks the rights" in message
        assert "grant it CREATE" in message
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as raw:
            raw.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


async def test_a_password_never_reaches_the_error(postgres_server: str) -> None:
    url = "postgresql://someone:hunter2-secret@127.0.0.1:1/nowhere"
    with pytest.raises(EventStoreError) as raised:
        await PostgresEventStore.open(url, FakeClock())
    assert "hunter2" not in str(raised.value)
    assert "postgresql://someone@127.0.0.1:1/nowhere" in str(raised.value)
    assert "cannot reach PostgreSQL" in str(raised.value)


async def test_a_lost_connection_is_tried_again_and_nothing_is_lost(postgres_url: str) -> None:
    async with await PostgresEventStore.open(postgres_url, FakeClock()) as store:
        await store.append("s", [new_event("a")], NO_STREAM)
        _terminate_other_connections(postgres_url)
        result = await store.append("s", [new_event("b")], 1)
        assert result.stream_version == 2
        _terminate_other_connections(postgres_url)
        assert [e.version for e in await store.read_stream("s")] == [1, 2]


def _terminate_other_connections(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def test_a_subscription_whose_connection_is_cut_goes_on_where_it_was(
    postgres_url: str,
) -> None:
    async with await PostgresEventStore.open(postgres_url, FakeClock()) as store:
        await store.append("s", [new_event("a")], NO_STREAM)
        seen: list[RecordedEvent] = []
        first, done = anyio.Event(), anyio.Event()

        async def follow() -> None:
            async for recorded in store.subscribe():
                seen.append(recorded)
                first.set()
                if len(seen) == 3:
                    done.set()
                    return

        async with anyio.create_task_group() as group:
            group.start_soon(follow)
            with anyio.fail_after(5):
                await first.wait()
            _terminate_other_connections(postgres_url)  # the listener and the pool's
            await store.append("s", [new_event("b"), new_event("c")], 1)
            with anyio.fail_after(10):
                await done.wait()
    assert [e.position for e in seen] == [1, 2, 3]
