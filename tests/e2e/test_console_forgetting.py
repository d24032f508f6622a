"""Issue 16's must-show: two people talk to Lukas in the console, `lukas forget root --yes`
forgets the first; their words are then in no byte of the log's files nor in any command's
output, the second person's words are still there, and Lukas goes on on the same log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

KEY = "sk-test-e2e-secret-value-1234567890"
ROOTS_WORDS = "marmalade-root-7431"
ROOTS_REPLY = "honeycomb-for-root-5519"
ALICES_WORDS = "bluebell-alice-2208"
ALICES_REPLY = "acorn-for-alice-6630"


def as_user(user: str, standin: OpenAIStandIn, db: Path) -> dict[str, str]:
    # getpass.getuser() reads LOGNAME first: the console user is whoever that names.
    return {
        "OPENAI_API_KEY": KEY,
        "LUKAS_LLM_API_BASE": standin.base_url,
        "LUKAS_DB": str(db),
        "LOGNAME": user,
        "USER": user,
    }


def files_of(db: Path) -> dict[str, bytes]:
    """Every file of the log: the database, its WAL and shared memory, the key store."""
    return {p.name: p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file()}


def test_forgetting_root_leaves_no_word_of_theirs_and_alices_stay(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(
        Reply(f"I will remember {ROOTS_REPLY}."),
        Reply(f"Lovely, {ALICES_REPLY}!"),
        Reply("Hello again, friend."),
    )
    root = run_lukas(
        "console", stdin=f"My secret is {ROOTS_WORDS}\n", env=as_user("root", openai_standin, db)
    )
    assert root.returncode == 0, root.stderr
    alice = run_lukas(
        "console", stdin=f"Mine is {ALICES_WORDS}\n", env=as_user("alice", openai_standin, db)
    )
    assert alice.returncode == 0, alice.stderr
    # Sealed from the start: the log's files never held either person's words in the clear.
    for name, content in files_of(db).items():
        for words in (ROOTS_WORDS, ROOTS_REPLY, ALICES_WORDS, ALICES_REPLY):
            assert words.encode() not in content, (name, words)
    # Every command has read the log once (checkpoints saved with the words in them).
    for command in (["stats"], ["conversations"], ["replay"]):
        assert run_lukas(*command, "--db", str(db)).returncode == 0

    forget = run_lukas("forget", "root", "--yes", "--db", str(db))
    assert forget.returncode == 0, forget.stderr
    assert "console:root" in forget.stdout

    files = files_of(db)
    assert "lukas.db" in files
    for name, content in files.items():
        for words in (ROOTS_WORDS, ROOTS_REPLY):
            assert words.encode() not in content, (name, words)

    keys = _conversation_keys(run_lukas, db)
    outputs = {
        "replay": run_lukas("replay", "--db", str(db)),
        "replay jsonl": run_lukas("replay", "--format", "jsonl", "--db", str(db)),
        "conversations": run_lukas("conversations", "--db", str(db)),
        "stats": run_lukas("stats", "--db", str(db)),
        **{f"context {k}": run_lukas("context", k, "--db", str(db)) for k in keys},
    }
    for name, run in outputs.items():
        assert run.returncode == 0, (name, run.stderr)
        for words in (ROOTS_WORDS, ROOTS_REPLY):
            assert words not in run.stdout + run.stderr, (name, words)
    for name in ("replay", "replay jsonl"):
        assert "[forgotten]" in outputs[name].stdout, name
        assert ALICES_WORDS in outputs[name].stdout, name
        assert ALICES_REPLY in outputs[name].stdout, name
    assert "(1 forgotten)" in outputs["conversations"].stdout
    assert "console:root" in outputs["stats"].stdout
    assert "[forgotten]" in outputs["stats"].stdout
    contexts = [outputs[f"context {k}"].stdout for k in keys]
    assert any("[forgotten]" in text for text in contexts)
    assert any(ALICES_WORDS in text for text in contexts)
    jsonl = [json.loads(line) for line in outputs["replay jsonl"].stdout.splitlines()]
    assert any(line["type"] == "PersonForgotten" for line in jsonl)

    # Lukas goes on, on the same log, and never sends the model what was forgotten.
    again = run_lukas("console", stdin="Hello again\n", env=as_user("root", openai_standin, db))
    assert again.returncode == 0, again.stderr
    assert again.stdout == "Hello again, friend.\n"
    last = openai_standin.chat_requests()[-1]
    sent = json.dumps(last.messages)
    assert "root: Hello again" in sent
    for words in (ROOTS_WORDS, ROOTS_REPLY, "[forgotten]"):
        assert words not in sent


def _conversation_keys(run_lukas: RunLukas, db: Path) -> list[str]:
    listed = run_lukas("conversations", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    return [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("console:")]


def test_forget_without_yes_and_a_damaged_key_file_each_say_one_line(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Hi!"))
    assert (
        run_lukas("console", stdin="hi\n", env=as_user("root", openai_standin, db)).returncode == 0
    )

    unsure = run_lukas("forget", "root", "--db", str(db))
    assert unsure.returncode != 0
    assert unsure.stderr.count("\n") == 1
    assert "--yes" in unsure.stderr
    assert "hi" in run_lukas("replay", "--format", "jsonl", "--db", str(db)).stdout  # kept

    (tmp_path / "lukas.db.keys").write_bytes(b"not a key store at all" * 100)
    damaged = run_lukas("replay", "--db", str(db))
    assert damaged.returncode != 0
    assert damaged.stderr.startswith("lukas: ")
    assert damaged.stderr.count("\n") == 1
    assert "Traceback" not in damaged.stderr
