"""The SQLite key store against real files: what the contract cannot say (other
connections on the file, bytes left on disk, files that are not key stores)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import anyio
import pytest
from fakes.clock import FakeClock

from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.data_keys import DataKey, DataKeyError

pytestmark = pytest.mark.anyio


def every_byte(folder: Path) -> bytes:
    """The bytes of every file in the folder: the store, and its -journal, -wal or -shm if
    any is there."""
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


def file_names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def many_keys(keys: SqliteDataKeys) -> list[DataKey]:
    """Enough keys for several pages, so that deleting some rewrites pages and frees others."""
    return [
        await keys.key_for(f"U{number % 40}", f"2026-11-{number // 40 + 1:02d}")
        for number in range(600)
    ]


async def test_two_stores_on_one_file_agree(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with (
        await SqliteDataKeys.open(path, create=True) as one,
        await SqliteDataKeys.open(path, create=True) as two,
    ):
        made = await one.key_for("U1", "2026-12-03")
        assert await two.key_for("U1", "2026-12-03") == made
        assert await two.find([made.key_id]) == {made.key_id: made}
        await two.forget_person("U1")
        assert await one.find([made.key_id]) == {}
        assert await one.epoch() == await two.epoch() == 1


async def test_two_stores_asking_at_once_get_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with (
        await SqliteDataKeys.open(path, create=True) as one,
        await SqliteDataKeys.open(path, create=True) as two,
    ):
        got: dict[tuple[str, int], DataKey] = {}

        async def ask(store: SqliteDataKeys, name: str, period: str) -> None:
            got[(period, id(store))] = await store.key_for(name, period)

        periods = [f"2026-12-{day:02d}" for day in range(1, 21)]
        async with anyio.create_task_group() as group:
            for period in periods:
                for store in (one, two, one):
                    group.start_soon(ask, store, "U1", period)
        for period in periods:
            assert got[(period, id(one))] == got[(period, id(two))]


async def test_a_key_is_there_after_the_store_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        made = await keys.key_for("U1", "2026-12-03")
    async with await SqliteDataKeys.open(path, create=False) as keys:
        assert await keys.find([made.key_id]) == {made.key_id: made}


async def test_forgotten_keys_and_names_are_in_no_byte_of_any_file_and_kept_ones_are(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        made = await many_keys(keys)
        named = await keys.key_for("console:Ziggy Stardust", "2026-11-03")
        on_disk = every_byte(tmp_path)
        assert all(key.secret in on_disk for key in made)  # so a miss below means erased
        assert b"Ziggy Stardust" in on_disk
        assert await keys.forget_person("U7") == 15
        assert await keys.forget_person(named.person) == 1
        await keys.key_for("U99", "2026-12-03")  # a write after the delete reuses freed room
        on_disk = every_byte(tmp_path)
    forgotten = [key for key in made if key.person == "U7"]
    kept = [key for key in made if key.person != "U7"]
    assert not [key.key_id for key in forgotten if key.secret in on_disk]
    assert named.secret not in on_disk
    assert b"Ziggy Stardust" not in on_disk  # the name was in the indexes too
    assert all(key.secret in on_disk for key in kept)


async def test_dropped_periods_are_in_no_byte_of_any_file(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        made = await many_keys(keys)
        assert await keys.drop_before("2026-11-10") == 360
        on_disk = every_byte(tmp_path)
    assert not [key.key_id for key in made if key.period < "2026-11-10" and key.secret in on_disk]
    assert all(key.secret in on_disk for key in made if key.period >= "2026-11-10")


async def test_a_delete_leaves_no_journal_beside_the_store(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        await many_keys(keys)
        await keys.forget_person("U1")
        assert file_names(tmp_path) == ["lukas.db.keys"]
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)


async def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        await keys.key_for("U1", "2026-12-03")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_missing_store_is_named_when_not_to_be_created(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    with pytest.raises(DataKeyError) as raised:
        await SqliteDataKeys.open(path, create=False)
    assert str(raised.value) == f"no key store at {path} (the file is missing)"
    assert not path.exists()


async def test_a_garbage_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    garbage = b"not a database at all, just some text\n" * 100
    path.write_bytes(garbage)
    for create in (True, False):
        with pytest.raises(DataKeyError) as raised:
            await SqliteDataKeys.open(path, create=create)
        assert str(raised.value) == f"{path} is not a SQLite database, not a Lukas key store"
    assert path.read_bytes() == garbage


async def test_a_damaged_sqlite_file_gives_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db.keys"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(DataKeyError) as raised:
        await SqliteDataKeys.open(path, create=True)
    assert str(raised.value).startswith(f"{path} is not a readable SQLite database: ")
    assert "\n" not in str(raised.value)


async def test_the_event_log_is_not_taken_for_a_key_store(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(path, FakeClock()):
        pass
    with pytest.raises(DataKeyError, match="is not a Lukas key store"):
        await SqliteDataKeys.open(path, create=True)


async def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE data_keys (anything TEXT)")
    with pytest.raises(DataKeyError, match="another program's database"):
        await SqliteDataKeys.open(path, create=True)


async def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataKeyError, match="is a directory, not a key store"):
        await SqliteDataKeys.open(tmp_path, create=True)


async def test_a_failing_statement_is_a_data_key_error_without_the_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db.keys"
    async with await SqliteDataKeys.open(path, create=True) as keys:
        made = await keys.key_for("U1", "2026-12-03")
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TABLE epoch")
        with pytest.raises(DataKeyError) as raised:
            await keys.forget_person("U1")
    assert "no such table: epoch" in str(raised.value)
    assert made.secret.hex() not in str(raised.value)
    async with await SqliteDataKeys.open(path, create=False) as keys:
        assert await keys.find([made.key_id]) == {made.key_id: made}  # rolled back
