"""`lukas migrate`'s progress bar: on stderr only when it is a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.ports.event_store import NO_STREAM
from lukas.entrypoints.migrate_command import migrate

pytestmark = pytest.mark.anyio


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def a_log(path: Path, events: int) -> None:
    async with await SqliteEventStore.open(path, FakeClock()) as store:
        await store.append("s", [new_event(f"e{n}") for n in range(events)], NO_STREAM)


async def test_a_terminal_sees_the_bar_fill_and_a_pipe_sees_nothing(tmp_path: Path) -> None:
    await a_log(tmp_path / "from.db", 5)
    out, terminal = io.StringIO(), Terminal()
    assert await migrate(tmp_path / "from.db", tmp_path / "to.db", out, terminal) == 0
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0].startswith("migrating [------------------------------]   0% 0/5 events")
    assert frames[-1] == "migrating [##############################] 100% 5/5 events\n"
    assert out.getvalue().startswith("5 events in ")

    piped = io.StringIO()
    await migrate(tmp_path / "from.db", tmp_path / "again.db", io.StringIO(), piped)
    assert piped.getvalue() == ""
