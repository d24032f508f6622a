"""`lukas migrate` end to end: a SQLite log made by a console conversation copied to
PostgreSQL and back, then read and extended there by the real `lukas` commands."""

from __future__ import annotations

import getpass
from pathlib import Path

import psycopg
import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

KEY = "sk-test-e2e-secret-value-1234567890"


def model_env(standin: OpenAIStandIn, db: str) -> dict[str, str]:
    return {"OPENAI_API_KEY": KEY, "LUKAS_LLM_API_BASE": standin.base_url, "LUKAS_DB": db}


def events_in(run_lukas: RunLukas, db: str) -> int:
    replay = run_lukas("replay", "--db", db, "--format", "jsonl")
    assert replay.returncode == 0, replay.stderr
    return len(replay.stdout.splitlines())


def console_conversation(run_lukas: RunLukas, standin: OpenAIStandIn, db: str) -> str:
    standin.script(Reply("Hello! I'm Lukas."), Reply("You said hi."))
    run = run_lukas("console", stdin="Hi Lukas\nWhat did I say?\n", env=model_env(standin, db))
    assert run.returncode == 0, run.stderr
    listed = run_lukas("conversations", "--db", db)
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.split()[0]


def test_a_sqlite_log_migrated_to_postgres_replays_the_same_and_lukas_goes_on_there(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path, postgres_url: str
) -> None:
    sqlite = str(tmp_path / "lukas.db")
    conversation = console_conversation(run_lukas, openai_standin, sqlite)

    count = events_in(run_lukas, sqlite)
    moved = run_lukas("migrate", "--from", sqlite, "--to", postgres_url)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith(f"{count} events in postgresql://")
    assert f"{count} copied now" in moved.stdout
    assert moved.stderr == ""  # no progress bar when stderr is not a terminal

    for command in (
        ("replay", "--format", "jsonl"),
        ("context", conversation, "--format", "json"),
        ("export", conversation),
        ("conversations",),
    ):
        before = run_lukas(*command, "--db", sqlite)
        after = run_lukas(*command, env={"LUKAS_DB": postgres_url})
        assert after.returncode == 0, after.stderr
        assert after.stdout == before.stdout, command

    # The console on PostgreSQL: a new conversation, whose second message carries the first.
    openai_standin.reset()
    openai_standin.script(Reply("Hi there."), Reply("You asked about honey."))
    run = run_lukas(
        "console", stdin="Honey?\nWhat did I ask?\n", env=model_env(openai_standin, postgres_url)
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "Hi there.\n\nYou asked about honey.\n"
    second = openai_standin.chat_requests()[1]
    assert [m["content"] for m in second.messages[1:]] == [
        f"{getpass.getuser()}: Honey?",
        "Hi there.",
        f"{getpass.getuser()}: What did I ask?",
    ]
    # A conversation of the same shape: as many events again.
    assert events_in(run_lukas, postgres_url) == 2 * count


def test_migrate_resumes_and_copies_back_to_sqlite(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path, postgres_url: str
) -> None:
    sqlite = str(tmp_path / "lukas.db")
    console_conversation(run_lukas, openai_standin, sqlite)
    count = events_in(run_lukas, sqlite)
    assert run_lukas("migrate", "--from", sqlite, "--to", postgres_url).returncode == 0
    again = run_lukas("migrate", "--from", sqlite, "--to", postgres_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{count} events")
    assert "0 copied now" in again.stdout

    # More happened in the SQLite log: a second run copies only what is new.
    openai_standin.script(Reply("Still here."))
    run_lukas("console", stdin="Still there?\n", env=model_env(openai_standin, sqlite))
    now = events_in(run_lukas, sqlite)
    assert now > count
    more = run_lukas("migrate", "--from", sqlite, "--to", postgres_url)
    assert more.returncode == 0, more.stderr
    assert more.stdout.startswith(f"{now} events")
    assert f"{now - count} copied now" in more.stdout

    back = str(tmp_path / "back.db")
    returned = run_lukas("migrate", "--from", postgres_url, "--to", back)
    assert returned.returncode == 0, returned.stderr
    original = run_lukas("replay", "--db", sqlite, "--format", "jsonl").stdout
    assert run_lukas("replay", "--db", back, "--format", "jsonl").stdout == original


def test_migrate_refuses_a_target_holding_another_log(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path, postgres_url: str
) -> None:
    first = str(tmp_path / "first.db")
    other = str(tmp_path / "other.db")
    console_conversation(run_lukas, openai_standin, first)
    count = events_in(run_lukas, first)
    openai_standin.reset()
    console_conversation(run_lukas, openai_standin, other)
    assert run_lukas("migrate", "--from", first, "--to", postgres_url).returncode == 0
    refused = run_lukas("migrate", "--from", other, "--to", postgres_url)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "holds another log" in refused.stderr
    with psycopg.connect(postgres_url) as raw:
        (stored,) = raw.execute("SELECT count(*) FROM lukas.events").fetchone() or (0,)
    assert stored == count


def test_migrate_errors_are_one_line(run_lukas: RunLukas, tmp_path: Path) -> None:
    missing = run_lukas("migrate", "--from", str(tmp_path / "none.db"), "--to", "x.db")
    assert missing.returncode == 1
    assert missing.stderr == f"lukas: no event store at {tmp_path / 'none.db'}\n"
    same = run_lukas("migrate", "--from", "a.db", "--to", "./a.db")
    assert same.returncode == 1
    assert "the same store" in same.stderr
    assert same.stderr.count("\n") == 1
