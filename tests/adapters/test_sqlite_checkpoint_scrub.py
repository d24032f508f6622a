"""Scrubbing SQLite checkpoints beside a live event store: what a state held is in no byte
of the log's file or its WAL afterwards, while the events stay."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.checkpoints import CheckpointError, CheckpointSpec, Saved

pytestmark = pytest.mark.anyio

WORDS = CheckpointSpec[dict[str, str]]("words-said", 1, dict[str, str])
FIRST = "xylophone-honey-first-7d3f"
SECOND = "quokka-marmalade-second-91ac"


def every_byte(folder: Path) -> bytes:
    """The log's file, its -wal and -shm: every file in the folder."""
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


def wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


@asynccontextmanager
async def live_log(path: Path) -> AsyncIterator[tuple[SqliteEventStore, SqliteCheckpoints]]:
    """A store with events appended and checkpoints open beside it, as in production; the
    first state (over several overflow pages) is replaced by a second."""
    async with (
        await SqliteEventStore.open(path, FakeClock()) as store,
        await SqliteCheckpoints.open(path) as checkpoints,
    ):
        await store.append("s", [new_event("before")], None)
        await checkpoints.save(WORDS, Saved(1, {"said": FIRST * 400}))
        await store.append("s", [new_event("between")], None)
        await checkpoints.save(WORDS, Saved(2, {"said": SECOND}))
        await store.append("s", [new_event("after")], None)
        yield store, checkpoints


async def test_a_scrubbed_state_is_in_no_byte_of_the_log_or_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    async with live_log(path) as (store, checkpoints):
        before = every_byte(tmp_path)
        # Both versions are on disk, the replaced one in the WAL at least: so a miss below
        # means scrubbed, not never written.
        assert FIRST.encode() in before
        assert SECOND.encode() in before
        await checkpoints.scrub()
        after = every_byte(tmp_path)
        assert FIRST.encode() not in after
        assert SECOND.encode() not in after
        assert wal_size(path) == 0
        assert len(await store.read_all()) == 3
        await store.append("s", [new_event("goes on")], None)
        assert await checkpoints.load(WORDS) is None


async def test_a_reader_holding_the_wal_is_named_and_a_later_scrub_finishes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lukas.db"
    async with live_log(path) as (_, checkpoints):
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM events").fetchone()
            with pytest.raises(CheckpointError, match="WAL could not be emptied"):
                await checkpoints.scrub()
            reader.execute("COMMIT")
        finally:
            reader.close()
        assert await checkpoints.load(WORDS) is None  # deleted all the same
        await checkpoints.scrub()
        after = every_byte(tmp_path)
    assert FIRST.encode() not in after
    assert SECOND.encode() not in after
