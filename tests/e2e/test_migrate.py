"""`lukas migrate` end to end: a SQLite log made by a console conversation copied to
PostgreSQL and back, then read and extended there by the real `lukas` commands; a log
written before sealing rewritten sealed, and sealed words carried with the target's keys."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import anyio
import attrs
import psycopg
import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import OpenAIStandIn, Reply

from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import NewEvent
from lukas.domain.events import ReplyFailed, ReplyGenerated
from lukas.domain.personal_data import owner_of

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


SAID = ("Hi Lukas", "What did I say?", "Hello! I'm Lukas.", "You said hi.")
OLD_LOG_NOTICE = "holds words written before Lukas sealed them"


def _files_of(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(f"{db.name}*") if p.is_file())


async def _as_before_sealing(sealed: Path, old: Path) -> int:
    """`sealed`'s log written again as Lukas wrote logs before sealing: every event straight
    into the store, words in the clear, replies not saying whose message they answer. How
    many events hold personal words."""
    clock = SystemClock()
    async with await SqliteDataKeys.open(Path(f"{sealed}.keys"), create=False) as keys:
        raw = await SqliteEventStore.open(sealed, clock, create=False)
        try:
            recorded = await SealedEventStore(raw, keys, clock).read_all()
        finally:
            await raw.close()
    plain = await SqliteEventStore.open(old, clock)
    personal = 0
    try:
        for event in recorded:
            content = event.event
            if isinstance(content, ReplyGenerated | ReplyFailed):
                content = attrs.evolve(content, person_id=None)
            personal += owner_of(event.event) is not None
            new = NewEvent(event.event_id, content, event.metadata)
            await plain.append(event.stream_id, [new], None)
    finally:
        await plain.close()
    return personal


def test_a_log_from_before_sealing_is_rewritten_sealed_and_is_no_longer_called_old(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    made = tmp_path / "made.db"
    console_conversation(run_lukas, openai_standin, str(made))
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    personal = anyio.run(_as_before_sealing, made, old)
    assert all(text.encode() in _files_of(old) for text in SAID)

    moved = run_lukas("migrate", "--from", str(old), "--to", str(new))
    assert moved.returncode == 0, moved.stderr
    assert moved.stderr == ""
    assert re.search(rf"the words of {personal} sealed anew with its keys$", moved.stdout)
    assert personal >= 4
    assert not [text for text in SAID if text.encode() in _files_of(new)]
    replay = run_lukas("replay", "--db", str(new))
    assert replay.returncode == 0, replay.stderr
    assert all(text in replay.stdout for text in SAID)
    assert "[forgotten]" not in replay.stdout
    # The replies now say whose they are, so forgetting reaches them: as in the log made.
    as_made = run_lukas("replay", "--db", str(made), "--format", "jsonl").stdout
    as_new = run_lukas("replay", "--db", str(new), "--format", "jsonl").stdout
    assert _without_times(as_new) == _without_times(as_made)

    openai_standin.script(Reply("Still here."), Reply("Still here."))
    on_old = run_lukas("console", stdin="Hello?\n", env=model_env(openai_standin, str(old)))
    assert on_old.returncode == 0, on_old.stderr
    assert on_old.stderr.count(OLD_LOG_NOTICE) == 1
    on_new = run_lukas("console", stdin="Hello?\n", env=model_env(openai_standin, str(new)))
    assert on_new.returncode == 0, on_new.stderr
    assert OLD_LOG_NOTICE not in on_new.stderr


def _without_times(jsonl: str) -> str:
    return re.sub(r'"recorded_at": "[^"]*"', "", jsonl)


def test_sealed_words_go_to_postgres_and_back_with_the_keys_of_each_store(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path, postgres_url: str
) -> None:
    sqlite = tmp_path / "lukas.db"
    console_conversation(run_lukas, openai_standin, str(sqlite))
    assert not [text for text in SAID if text.encode() in _files_of(sqlite)]
    original = run_lukas("replay", "--db", str(sqlite)).stdout
    assert all(text in original for text in SAID)

    there = run_lukas("migrate", "--from", str(sqlite), "--to", postgres_url)
    assert there.returncode == 0, there.stderr
    assert "the words of 4 sealed anew" in there.stdout
    with psycopg.connect(postgres_url) as raw:
        rows = raw.execute("SELECT data::text FROM lukas.events").fetchall()
    assert not [text for text in SAID for (data,) in rows if text in data]
    assert run_lukas("replay", "--db", postgres_url).stdout == original

    back = tmp_path / "back.db"
    returned = run_lukas("migrate", "--from", postgres_url, "--to", str(back))
    assert returned.returncode == 0, returned.stderr
    assert run_lukas("replay", "--db", str(back)).stdout == original
    assert not [text for text in SAID if text.encode() in _files_of(back)]


def test_a_log_copied_without_its_key_store_migrates_with_its_words_said_to_be_forgotten(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    sqlite = tmp_path / "lukas.db"
    console_conversation(run_lukas, openai_standin, str(sqlite))
    alone = tmp_path / "alone" / "lukas.db"
    alone.parent.mkdir()
    for part in ("", "-wal"):  # the log, and what of it may still be in its WAL
        if Path(f"{sqlite}{part}").exists():
            Path(f"{alone}{part}").write_bytes(Path(f"{sqlite}{part}").read_bytes())

    moved = run_lukas("migrate", "--from", str(alone), "--to", str(tmp_path / "copy.db"))
    assert moved.returncode == 0, moved.stderr
    assert moved.stderr == (
        f"lukas: no key store at {alone}.keys: the sealed words of 4 events could not be "
        "opened and are forgotten in the copy\n"
    )
    replay = run_lukas("replay", "--db", str(tmp_path / "copy.db")).stdout
    assert "[forgotten]" in replay
    assert not [text for text in SAID if text in replay]
