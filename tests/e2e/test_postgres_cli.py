"""The `lukas` commands with `--db postgresql://...`: the same commands, one-line errors,
and no password in any of them."""

from __future__ import annotations

import getpass

import psycopg
import pytest
from drivers.lukas_cli import RunLukas
from psycopg.conninfo import conninfo_to_dict

pytestmark = pytest.mark.slow


def test_an_unreachable_server_is_one_line_without_the_password(run_lukas: RunLukas) -> None:
    url = "postgresql://someone:hunter2-secret@127.0.0.1:1/lukas"
    for command in (
        ("replay",),
        ("stats",),
        ("pause",),
        ("migrate", "--from", url, "--to", "x.db"),
    ):
        args = command if command[0] == "migrate" else (*command, "--db", url)
        run = run_lukas(*args)
        assert run.returncode == 1, (command, run.stderr)
        assert run.stderr.count("\n") == 1, run.stderr
        assert "hunter2" not in run.stderr
        assert "postgresql://someone@127.0.0.1:1/lukas" in run.stderr
        assert "cannot reach PostgreSQL" in run.stderr


def test_looking_at_an_empty_database_makes_nothing_there(
    run_lukas: RunLukas, postgres_url: str
) -> None:
    status = run_lukas("status", "--db", postgres_url)
    assert status.returncode == 0, status.stderr
    assert "no event log at postgresql://" in status.stdout
    replay = run_lukas("replay", "--db", postgres_url)
    assert replay.returncode == 1
    assert replay.stderr.startswith("lukas: no event store in postgresql://")
    with psycopg.connect(postgres_url) as raw:
        row = raw.execute("SELECT to_regnamespace('lukas') IS NULL").fetchone()
    assert row == (True,)


def test_pause_is_recorded_in_postgres_and_seen_by_status(
    run_lukas: RunLukas, postgres_url: str
) -> None:
    paused = run_lukas("pause", "--until", "2h", env={"LUKAS_DB": postgres_url})
    assert paused.returncode == 0, paused.stderr
    status = run_lukas("status", env={"LUKAS_DB": postgres_url})
    assert "speaking unasked: paused until" in status.stdout
    replay = run_lukas("replay", "--db", postgres_url)
    assert "ProactivePaused" in replay.stdout


def test_config_show_hides_the_password_of_a_database_url(
    run_lukas: RunLukas, postgres_url: str
) -> None:
    parts = conninfo_to_dict(postgres_url)
    user = parts.get("user") or getpass.getuser()
    password = str(parts.get("password") or "hunter2-secret")  # trust auth ignores it
    host, port = parts.get("host") or "127.0.0.1", parts.get("port") or "5432"
    url = f"postgresql://{user}:{password}@{host}:{port}/{parts['dbname']}"
    assert run_lukas("pause", env={"LUKAS_DB": url}).returncode == 0
    shown = run_lukas("config", "show", env={"LUKAS_DB": url, "LUKAS_LOG_LEVEL": "DEBUG"})
    assert shown.returncode == 0, shown.stderr
    assert password not in shown.stdout + shown.stderr
    assert f"LUKAS_DB=postgresql://{user}:***@{host}:{port}/" in shown.stdout
