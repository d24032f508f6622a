"""`main` turns what a command raises into one line, wherever the task groups wrapped it."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest

from lukas.application.ports.event_store import EventStoreError
from lukas.entrypoints import commands
from lukas.entrypoints.cli import main
from lukas.entrypoints.config import LoadedConfig

Command = Callable[[argparse.Namespace, LoadedConfig], Awaitable[int]]


def _fails_in_a_task_group(error: Exception) -> Command:
    async def command(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
        async def sibling() -> None:
            await anyio.sleep_forever()

        async def failing() -> None:
            raise error

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sibling)
            tasks.start_soon(failing)
        return 0

    return command


@pytest.fixture(autouse=True)
def _in_a_clean_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LUKAS_DEBUG", raising=False)


def test_the_cause_inside_a_task_group_is_the_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read_only = EventStoreError("cannot write to x.db: read-only (check the file's permissions)")
    monkeypatch.setitem(commands.COMMANDS, "stats", _fails_in_a_task_group(read_only))
    assert main(["stats"]) == 1
    assert capsys.readouterr().err == f"lukas: {read_only}\n"


def test_a_bug_inside_a_task_group_is_named_by_its_own_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(commands.COMMANDS, "stats", _fails_in_a_task_group(KeyError("honey")))
    assert main(["stats"]) == 1
    assert capsys.readouterr().err == (
        "lukas: unexpected KeyError: 'honey' (set LUKAS_DEBUG=1 for details)\n"
    )


def test_lukas_debug_shows_the_whole_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(commands.COMMANDS, "stats", _fails_in_a_task_group(KeyError("honey")))
    monkeypatch.setenv("LUKAS_DEBUG", "1")
    with pytest.raises(ExceptionGroup) as raised:
        main(["stats"])
    assert raised.group_contains(KeyError)
