"""Two OS processes on one SQLite file, and a process killed right after an append returned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.event_store import NO_STREAM

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CHILD = Path(__file__).with_name("store_process.py")


def spawn(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_two_processes_racing_for_one_version_one_wins(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(db, FakeClock()) as store:
        await store.append("s", [new_event("first")], NO_STREAM)
    go = tmp_path / "go"
    children = [spawn(db, "race", str(go)) for _ in range(2)]
    go.touch()
    outcomes = sorted(child.communicate(timeout=30)[0].strip() for child in children)
    assert outcomes == ["conflict", "ok"]
    async with await SqliteEventStore.open(db, FakeClock()) as store:
        events = await store.read_stream("s")
    assert [e.version for e in events] == [1, 2]


async def test_two_processes_appending_concurrently_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(db, FakeClock()):
        pass
    children = [spawn(db, "many", "40", name) for name in ("left", "right")]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert out.strip() == "done", err
    async with await SqliteEventStore.open(db, FakeClock()) as store:
        events = await store.read_stream("s")
    assert [e.version for e in events] == list(range(1, 81))
    texts = [getattr(e.event, "text", "") for e in events]
    for name in ("left", "right"):
        assert [t for t in texts if t.startswith(name)] == [f"{name}-{i}" for i in range(40)]


async def test_an_event_survives_sigkill_right_after_append_returned(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    child = spawn(db, "append-and-hang", "kept-event")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "appended"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    async with await SqliteEventStore.open(db, FakeClock()) as store:
        events = await store.read_all()
    assert [e.event_id for e in events] == ["kept-event"]
