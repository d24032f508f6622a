"""What only the SQLite file can show: the database's own rules, foreign files, migrations."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import anyio
import pytest
from drivers.damage import overwrite_a_middle_leaf_page
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.event_store import (
    DamagedStoreError,
    MissingDatabaseError,
    SqliteEventStore,
)
from lukas.adapters.sqlite.schema import APPLICATION_ID, MIGRATIONS, Migration
from lukas.application.ports.event_store import (
    NO_STREAM,
    NotAnEventStoreError,
    RecordedEvent,
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
    next_version = MIGRATIONS[-1].version + 1
    upgraded = (
        *MIGRATIONS,
        Migration(next_version, statements=("CREATE INDEX events_by_type ON events (type)",)),
    )
    async with await SqliteEventStore.open(path, FakeClock(), migrations=upgraded) as store:
        assert len(await store.read_all()) == 3
        await store.append("s", [new_event("after")], 3)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (next_version,)
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert "events_by_type" in names


async def test_a_log_from_before_checkpoints_gets_their_table_and_keeps_its_events(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(path, FakeClock(), migrations=MIGRATIONS[:1]) as old:
        await old.append("s", [new_event("before")], 0)
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        assert [getattr(e.event, "text", None) for e in await store.read_all()] == ["before"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (MIGRATIONS[-1].version,)
        assert raw.execute("SELECT count(*) FROM checkpoints").fetchone() == (0,)


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


async def _damaged_store(path: Path, fill: bytes) -> list[RecordedEvent]:
    """A real store of 600 events with one leaf page of the events table, in the middle,
    overwritten; returns the events as they were before."""
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        await store.append("s", [new_event(f"honey pot {i} " * 8) for i in range(600)], NO_STREAM)
        before = await store.read_all()
    overwrite_a_middle_leaf_page(path, fill)
    return before


def _reads_in_order(path: Path, until: int) -> bool:
    try:
        with sqlite3.connect(path) as raw:
            read = raw.execute("SELECT * FROM events WHERE position <= ?", [until]).fetchall()
    except sqlite3.DatabaseError:
        return False
    return len(read) == until


async def _read_in_batches(store: SqliteEventStore, into: list[RecordedEvent]) -> None:
    while batch := await store.read_all(len(into), limit=50):
        into.extend(batch)


@pytest.mark.parametrize("fill", [b"\xa5", b"\x00"])
async def test_a_damaged_file_is_read_up_to_its_last_good_position(
    tmp_path: Path, fill: bytes
) -> None:
    path = tmp_path / "lukas.db"
    before = await _damaged_store(path, fill)
    async with await SqliteEventStore.open(path, FakeClock(), create=False) as store:
        with pytest.raises(DamagedStoreError) as raised:
            await store.read_all()
        found = re.search(r"events up to position (\d+) read fine", str(raised.value))
        assert found is not None, raised.value
        last_good = int(found[1])
        assert 0 < last_good < len(before)
        assert f"lukas replay --db {path} --until {last_good}" in str(raised.value)
        assert "\n" not in str(raised.value)
        assert await store.read_all(until_position=last_good) == before[:last_good]
        assert _reads_in_order(path, last_good)
        assert not _reads_in_order(path, last_good + 1), "one more reads fine too"
        # Batch by batch: every full batch before the damage, then the error.
        read: list[RecordedEvent] = []
        with pytest.raises(DamagedStoreError):
            await _read_in_batches(store, read)
        assert read == before[: len(read)]
        assert last_good - 50 < len(read) <= last_good
        with pytest.raises(DamagedStoreError):
            await store.read_stream("s")
        with pytest.raises(DamagedStoreError):
            await store.append("s", [new_event()], len(before))


async def test_a_damaged_file_is_not_opened_to_write(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    await _damaged_store(path, b"\xa5")
    damaged = path.read_bytes()
    with pytest.raises(DamagedStoreError, match=r"is damaged: .*read fine"):
        await SqliteEventStore.open(path, FakeClock(), create=True)
    assert path.read_bytes() == damaged


async def test_a_store_checked_before_writing_finds_damage_before_it_writes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db"
    before = await _damaged_store(path, b"\xa5")
    async with await SqliteEventStore.open(path, FakeClock(), check="before_writing") as store:
        # Opened at once; the part of the log a read reaches without the damage reads fine.
        assert await store.read_all(until_position=5) == before[:5]
        damaged = path.read_bytes()
        with pytest.raises(DamagedStoreError, match=r"is damaged: .*read fine"):
            await store.append("s", [new_event("after")], len(before))
        assert path.read_bytes() == damaged
        with pytest.raises(DamagedStoreError):
            await store.read_all()
        with pytest.raises(DamagedStoreError):
            await store.append("t", [new_event("again")], 0)


async def test_a_read_that_meets_damage_names_the_good_part(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    before = await _damaged_store(path, b"\x00")
    async with await SqliteEventStore.open(
        path, FakeClock(), create=False, check="before_writing"
    ) as store:
        with pytest.raises(DamagedStoreError) as raised:
            await store.read_all()
        found = re.search(r"events up to position (\d+) read fine", str(raised.value))
        assert found is not None, raised.value
        assert 0 < int(found[1]) < len(before)


async def test_a_healthy_store_checked_before_writing_writes_after_its_check(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db"
    await make_store_with_events(path, count=3)
    async with await SqliteEventStore.open(path, FakeClock(), check="before_writing") as store:
        with anyio.move_on_after(0):  # a check cancelled at once leaves the store unchecked
            await store.verify()
        await store.append("s", [new_event("after")], 3)
        assert len(await store.read_all()) == 4
