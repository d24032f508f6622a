"""`lukas console` end to end: piped input, a real SQLite file, any-llm over HTTP to a stand-in."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import Failure, OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

KEY = "sk-test-e2e-secret-value-1234567890"


def model_env(standin: OpenAIStandIn, db: Path) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": KEY,
        "LUKAS_LLM_API_BASE": standin.base_url,
        "LUKAS_DB": str(db),
    }


def test_two_messages_get_two_replies_and_the_second_carries_the_first(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script(Reply("Hello! I'm Lukas \U0001f43b"), Reply("You said hi."))
    db = tmp_path / "lukas.db"
    run = run_lukas(
        "console", stdin="Hi Lukas\nWhat did I say?\n", env=model_env(openai_standin, db)
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "Hello! I'm Lukas \U0001f43b\n\nYou said hi.\n"
    assert run.stderr == ""
    first, second = openai_standin.chat_requests()
    assert first.roles == ["system", "user"]
    assert second.roles == ["system", "user", "assistant", "user"]
    me = getpass.getuser()
    assert [m["content"] for m in second.messages[1:]] == [
        f"{me}: Hi Lukas",
        "Hello! I'm Lukas \U0001f43b",
        f"{me}: What did I say?",
    ]
    assert second.body["model"] == "gpt-5.4-mini"
    assert second.messages[0]["content"].startswith("You are Lukas the Bear")


def test_replay_and_context_show_what_happened(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script(Reply("Hello!"), Reply("You said hi."))
    db = tmp_path / "lukas.db"
    run_lukas("console", stdin="Hi Lukas\nWhat did I say?\n", env=model_env(openai_standin, db))

    text = run_lukas("replay", "--db", str(db))
    assert text.returncode == 0, text.stderr
    # One conversation: its stream named once, then its events, indented, one a line.
    heading, *lines = text.stdout.splitlines()
    assert all(line.startswith(" ") for line in lines)
    # Each reply was written into the terminal as it came: its stream recorded first.
    assert [line.split()[3] for line in lines] == [
        "MessageReceived",
        "ReplyStreamStarted",
        "ReplyGenerated",
        "ReplyDelivered",
    ] * 2
    assert 'said "What did I say?"' in lines[4]
    assert "from openai:gpt-5.4-mini" in lines[6]
    assert "first text" in lines[6]
    # Times in the team's time zone: Kolkata is 5:30 ahead of UTC all year.
    kolkata = run_lukas("replay", "--db", str(db), env={"LUKAS_TIMEZONE": "Asia/Kolkata"})
    utc_first, local_first = (
        dt.datetime.fromisoformat(" ".join(out.stdout.splitlines()[1].split()[1:3]))
        for out in (text, kolkata)
    )
    assert local_first - utc_first == dt.timedelta(hours=5, minutes=30)

    jsonl = run_lukas("replay", "--db", str(db), "--format", "jsonl", "--from", "4", "--until", "7")
    events = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [e["position"] for e in events] == [5, 6, 7]
    conversation = events[0]["data"]["conversation"]
    generated = events[2]["data"]
    assert generated["text"] == "You said hi."

    context = run_lukas("context", conversation, "--db", str(db), "--at", "7", "--format", "json")
    assert context.returncode == 0, context.stderr
    sent = json.loads(context.stdout)
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]
    assert sent["total_tokens"] == generated["context_tokens"]

    readable = run_lukas("context", conversation, "--db", str(db))
    assert "What did I say?" in readable.stdout
    assert f"total {generated['context_tokens']} tokens in 4 messages" in readable.stdout

    assert heading == f"conversation:{conversation}"
    only = run_lukas("replay", "--db", str(db), "--conversation", conversation)
    assert only.stdout.splitlines() == [heading, *lines]
    listed = run_lukas("conversations", "--db", str(db))
    assert listed.stdout.startswith(f"{conversation}  2 message(s), 2 reply(ies)")


def test_reset_starts_a_new_conversation_and_quit_leaves(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    env = model_env(openai_standin, tmp_path / "lukas.db")
    run = run_lukas("console", stdin="Hi\n/reset\nHello again\n/quit\nNever read\n", env=env)
    assert run.returncode == 0, run.stderr
    _, second = openai_standin.chat_requests()
    assert second.roles == ["system", "user"]
    assert "Started a new conversation" in run.stderr
    assert len(run.stdout.split("\n\n")) == 2


def test_without_a_key_or_ollama_lukas_is_offline_and_says_so_once(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    run = run_lukas("console", stdin="Hi\nStill there?\n", env={"LUKAS_DB": str(tmp_path / "x.db")})
    assert run.returncode == 0, run.stderr
    notice, *rest = run.stderr.splitlines()
    assert rest == []
    assert "No OPENAI_API_KEY set" in notice
    assert "offline" in notice
    first, second = run.stdout.split("\n\n")
    assert first.strip() != second.strip()  # two fallback phrases, never the same twice in a row


def test_without_a_key_a_local_ollama_is_used(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.serve_ollama_models("llama3.2:3b")
    openai_standin.script(Reply("Hi from a local bear"))
    db = tmp_path / "x.db"
    run = run_lukas(
        "console",
        stdin="Hi\n",
        env={"LUKAS_DB": str(db), "LUKAS_OLLAMA_URL": openai_standin.root_url},
    )
    assert run.stdout == "Hi from a local bear\n"
    assert "using the local Ollama model llama3.2:3b" in run.stderr
    assert openai_standin.chat_requests()[0].body["model"] == "llama3.2:3b"
    assert "from ollama:" in run_lukas("replay", "--db", str(db)).stdout


def test_the_key_appears_nowhere_even_when_the_provider_rejects_it(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script(
        Failure(401, f"Incorrect API key provided: {KEY}. Find your key at the dashboard.")
    )
    db = tmp_path / "lukas.db"
    run = run_lukas(
        "console", stdin="Hi\n", env={**model_env(openai_standin, db), "LUKAS_LOG_LEVEL": "DEBUG"}
    )
    replay = run_lukas("replay", "--db", str(db), "--format", "jsonl")
    assert "authentication" in replay.stdout
    for output in (
        run.stdout,
        run.stderr,
        replay.stdout,
        db.read_bytes().decode("utf-8", "replace"),
    ):
        assert KEY not in output
        assert KEY[8:] not in output
