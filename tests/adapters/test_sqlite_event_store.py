"""What only the SQLite file can show: the database's own rules, foreign files, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.event_store import MissingDatabaseError, SqliteEventStore
from lukas.adapters.sqlite.schema import APPLICATION_ID, MIGRATIONS, Migration
from lukas.application.ports.event_store import (
    NO_STREAM,
    NotAnEventStoreError,
    UnknownEventTypeError,
)

pytestmark = pytest.mark.anyio


async def make_store_with_events(path: Path, count: int = 2) -> None:
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        await store.append("s", [new_event(f"m{i}") for i in range(count)], NO_STREAM)


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        ("UPDATE events SET data = '{}' WHERE position = 1", "UPDATE refused"),
        ("DELETE FROM events WHERE position = 1", "DELETE refused"),
        ("DELETE FROM events", "DELETE refused"),
    ],
)
async def test_the_database_refuses_update_and_delete(
    tmp_path: Path, statement: str, refused: str
) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path)
    with sqlite3.connect(path) as raw, pytest.raises(sqlite3.IntegrityError, match=refused):
        raw.execute(statement)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM events").fetchone() == (2,)


async def test_the_file_is_marked_as_lukas_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert raw.execute("PRAGMA user_version").fetchone() == (MIGRATIONS[-1].version,)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_a_garbage_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    garbage = b"these are my notes, not a database\n" * 100
    path.write_bytes(garbage)
    with pytest.raises(NotAnEventStoreError, match="not a SQLite database"):
        await SqliteEventStore.open(path, FakeClock())
    assert path.read_bytes() == garbage


async def test_a_corrupt_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(NotAnEventStoreError, match="not a readable SQLite database"):
        await SqliteEventStore.open(path, FakeClock())


async def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    before = path.read_bytes()
    with pytest.raises(NotAnEventStoreError, match=r"another program \(tables: invoices\)"):
        await SqliteEventStore.open(path, FakeClock())
    assert path.read_bytes() == before


async def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    with pytest.raises(NotAnEventStoreError, match="schema 99, newer than"):
        await SqliteEventStore.open(path, FakeClock())
    assert path.read_bytes() == before


async def test_a_missing_file_is_created_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(MissingDatabaseError, match="no event store"):
        await SqliteEventStore.open(path, FakeClock(), create=False)
    assert not path.exists()


async def test_an_old_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path, count=3)
    upgraded = (
        *MIGRATIONS,
        Migration(version=2, statements=("CREATE INDEX events_by_type ON events (type)",)),
    )
    async with await SqliteEventStore.open(path, FakeClock(), migrations=upgraded) as store:
        assert len(await store.read_all()) == 3
        await store.append("s", [new_event("after")], 3)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert "events_by_type" in names


async def test_an_unknown_event_type_in_the_log_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path, count=1)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO events (event_id, stream_id, version, type, schema_version, data,"
            " metadata, recorded_at) VALUES ('x', 's', 2, 'TeaBrewed', 1, '{}',"
            ' \'{"correlation_id": "x", "causation_id": null}\', \'2026-01-01T00:00:00+00:00\')'
        )
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        with pytest.raises(
            UnknownEventTypeError, match="position 2: unknown event type 'TeaBrewed'"
        ):
            await store.read_all()
        assert len(await store.read_all(until_position=1)) == 1


async def test_a_device_is_refused_before_sqlite_touches_it(tmp_path: Path) -> None:
    with pytest.raises(NotAnEventStoreError, match="/dev/null is not a regular file"):
        await SqliteEventStore.open(Path("/dev/null"), FakeClock())
