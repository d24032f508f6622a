"""The commands a newcomer reaches for: --version, global options anywhere, status, export."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas

pytestmark = pytest.mark.slow


def test_version_is_the_installed_package_s(run_lukas: RunLukas) -> None:
    run = run_lukas("--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"lukas {version('lukas-the-bear')}\n"


def test_db_is_taken_before_the_command_and_after_it(run_lukas: RunLukas, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    assert run_lukas("--db", str(db), "pause").returncode == 0
    before = run_lukas("--db", str(db), "replay")
    after = run_lukas("replay", "--db", str(db))
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert "ProactivePaused" in before.stdout
    assert before.stdout == after.stdout
    # Given on both sides, the one after the command is the one used.
    missing = run_lukas("--db", str(db), "replay", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 1
    assert "nope.db" in missing.stderr
    assert not (tmp_path / "lukas.db").exists()  # the default was never opened


def test_config_is_taken_before_the_command(run_lukas: RunLukas, tmp_path: Path) -> None:
    toml = tmp_path / "team.toml"
    toml.write_text("history_pairs = 3\n")
    run = run_lukas("--config", str(toml), "config", "show", "--db", str(tmp_path / "x.db"))
    assert run.returncode == 0, run.stderr
    assert "LUKAS_HISTORY_PAIRS=3" in run.stdout


def test_pause_says_until_when_in_words_in_the_team_s_time_zone(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    run = run_lukas(
        "pause",
        "--until",
        "2030-12-05T13:00:00+00:00",
        "--db",
        str(db),
        env={"LUKAS_TIMEZONE": "Europe/Berlin"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "Lukas keeps quiet unasked until Thu 5 Dec 14:00 (Europe/Berlin).\n"
    forever = run_lukas("pause", "--db", str(db))
    assert forever.stdout == "Lukas keeps quiet unasked until resumed.\n"
