"""Soak cases, run by `make soak` (CI need not): the SQLite event store under a storm of
appends cut short by SIGKILL, and under several processes fighting over the same streams.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import anyio
import pytest
from fakes.clock import FakeClock

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.event_store import RecordedEvent

pytestmark = [pytest.mark.soak, pytest.mark.slow]

CHILD = Path(__file__).with_name("soak_writer.py")
KILL_ROUNDS = 20
STORM_TASKS = 6
CONTENDERS = 4
CONTEND_SECONDS = 15.0


def spawn(db: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_acks_until(child: subprocess.Popen[bytes], count: int, timeout: float) -> bytes:
    """Raw stdout until `count` lines have arrived (or the timeout, or the child's end)."""
    assert child.stdout is not None
    received = b""
    deadline = time.monotonic() + timeout
    while received.count(b"\n") < count and time.monotonic() < deadline:
        ready, _, _ = select.select([child.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                break  # the child ended on its own: a bug in it, shown by the caller
            received += chunk
    return received


def acked_batches(output: bytes) -> list[list[str]]:
    """Batches from complete "ack" lines; a line cut short by the kill acknowledged nothing."""
    complete = output[: output.rfind(b"\n") + 1].decode()
    return [line.split()[1:] for line in complete.splitlines() if line.startswith("ack ")]


async def read_everything(db: Path) -> list[RecordedEvent]:
    async with await SqliteEventStore.open(db, FakeClock(), create=False) as store:
        return await store.read_all()


def assert_log_is_sound(events: list[RecordedEvent]) -> None:
    positions = [e.position for e in events]
    assert positions == sorted(set(positions)), "positions not unique and increasing"
    ids = [e.event_id for e in events]
    assert len(ids) == len(set(ids)), "an event id twice"
    versions: dict[str, list[int]] = defaultdict(list)
    for recorded in events:
        versions[recorded.stream_id].append(recorded.version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{stream}: versions {seen}"


def assert_batches_whole(ids: list[str]) -> None:
    """Ids are PID.TASK.N.J/SIZE: every batch present is present in full."""
    batches: dict[str, set[str]] = defaultdict(set)
    for event_id in ids:
        prefix, size = event_id.rsplit("/", 1)
        batch, j = prefix.rsplit(".", 1)
        batches[f"{batch}/{size}"].add(j)
    partial = {
        batch: sorted(js)
        for batch, js in batches.items()
        if js != {str(j) for j in range(int(batch.rsplit("/", 1)[1]))}
    }
    assert partial == {}, "batches only partly in the log"


def test_sigkill_during_a_storm_of_appends_loses_no_acknowledged_batch(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    rng = random.Random(8)
    acked: list[list[str]] = []
    for round_ in range(KILL_ROUNDS):
        child = spawn(db, "storm", str(STORM_TASKS), str(round_))
        # Kill at a different moment each round: after some acknowledged batches, plus a
        # random sliver of time so the kill lands anywhere in an append.
        output = read_acks_until(child, rng.randint(5, 150), timeout=60)
        time.sleep(rng.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        rest, errors = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, errors.decode()
        acked.extend(acked_batches(output + rest))
        # The next round opens the file its predecessor was killed writing.
        events = anyio.run(read_everything, db)
        stored = {e.event_id for e in events}
        missing = [i for batch in acked for i in batch if i not in stored]
        assert missing == [], f"round {round_}: acknowledged events lost"
        assert_log_is_sound(events)
        assert_batches_whole([e.event_id for e in events])
    assert len(acked) >= KILL_ROUNDS * 5
    with contextlib.closing(sqlite3.connect(db)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # Shared streams really were shared between tasks and between processes.
    shared = [e for e in events if e.stream_id.startswith("shared-")]
    assert len({e.event_id.split(".")[0] for e in shared}) > 1


def test_processes_fighting_over_streams_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    anyio.run(read_everything_after_creating, db)
    go = tmp_path / "go"
    children = [
        spawn(db, "contend", str(go), str(CONTEND_SECONDS), str(seed)) for seed in range(CONTENDERS)
    ]
    time.sleep(1.0)  # let every child open the store before the start
    go.touch()
    reports = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
        reports.append(json.loads(out))
    assert [r["errors"] for r in reports] == [[]] * CONTENDERS
    acked = [i for r in reports for i in r["acked"]]
    conflicts = sum(r["conflicts"] for r in reports)
    events = anyio.run(read_everything, db)
    assert_log_is_sound(events)
    assert len(events) == len(acked), "events in the log differ from successful appends"
    assert sorted(e.event_id for e in events) == sorted(acked)
    assert_batches_whole(acked)
    assert all(r["appends"] > 0 for r in reports), "a process never got to append"
    assert conflicts > 0, "no ConcurrencyError at all: the processes never contended"
    print(
        f"{CONTENDERS} processes, {sum(r['appends'] for r in reports)} appends,"
        f" {len(acked)} events, {conflicts} conflicts"
    )


async def read_everything_after_creating(db: Path) -> None:
    async with await SqliteEventStore.open(db, FakeClock()):
        pass  # create and migrate once, before the children race to
