"""Crash and restart `lukas console`: whatever was left is finished, and only once."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from drivers.lukas_cli import LUKAS, RunLukas, clean_environment
from standins.openai_server import Failure, Hang, OpenAIStandIn, Reply

from lukas.domain.persona import FALLBACK_RESPONSES

pytestmark = pytest.mark.slow


def env_for(standin: OpenAIStandIn, db: Path) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-recovery-0123456789",
        "LUKAS_LLM_API_BASE": standin.base_url,
        "LUKAS_DB": str(db),
    }


def say_with_stdout_gone(standin: OpenAIStandIn, db: Path, line: str) -> str:
    """`line` said to a console whose terminal went away, so the reply cannot be written;
    returns what it said on stderr."""
    child = subprocess.Popen(
        [str(LUKAS), "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=db.parent,
        env=clean_environment(env_for(standin, db)),
    )
    assert child.stdout is not None
    child.stdout.close()
    _, stderr = child.communicate(f"{line}\n", timeout=60)
    return stderr


def types(run_lukas: RunLukas, db: Path) -> list[str]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    return [json.loads(line)["type"] for line in lines]


def test_a_message_in_flight_at_sigkill_is_answered_once_after_restarts(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Hang())
    child = subprocess.Popen(
        [str(LUKAS), "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=clean_environment(env_for(openai_standin, db)),
    )
    assert child.stdin is not None
    child.stdin.write("Are you there, Lukas?\n")
    child.stdin.flush()
    openai_standin.wait_for_requests(1, timeout=30)  # recorded, and now asking the model
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    assert types(run_lukas, db) == ["MessageReceived"]

    openai_standin.reset()
    openai_standin.script(Reply("Sorry, I dozed off! Yes, I'm here."))
    first = run_lukas("console", env=env_for(openai_standin, db))
    assert first.returncode == 0, first.stderr
    # Not an answer to anything read in this run: aside, marked with its conversation.
    assert first.stdout == ""
    assert "] Sorry, I dozed off! Yes, I'm here.\n" in first.stderr
    assert "[earlier conversation console:" in first.stderr
    assert "1 answered" in first.stderr

    second = run_lukas("console", env=env_for(openai_standin, db))
    assert second.stdout == ""
    assert "dozed" not in second.stderr
    assert len(openai_standin.chat_requests()) == 1
    assert types(run_lukas, db) == ["MessageReceived", "ReplyGenerated", "ReplyDelivered"]


def test_a_reply_that_could_not_be_shown_is_shown_once_on_the_next_start(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Here is my answer"))
    stderr = say_with_stdout_gone(openai_standin, db, "A question")
    assert "not delivered" in stderr
    assert types(run_lukas, db) == ["MessageReceived", "ReplyStreamStarted", "ReplyGenerated"]

    again = run_lukas("console", env=env_for(openai_standin, db))
    assert again.stdout == ""
    assert again.stderr.count("] Here is my answer\n") == 1
    assert "Here is my answer" not in run_lukas("console", env=env_for(openai_standin, db)).stderr
    assert len(openai_standin.chat_requests()) == 1
    # The earlier run's terminal is gone with what it showed: its stream is closed as cut
    # off, and the recorded reply is shown whole, once, without asking the model again.
    assert types(run_lukas, db) == [
        "MessageReceived",
        "ReplyStreamStarted",
        "ReplyGenerated",
        "ReplyStreamClosed",
        "DeliveryClaimed",
        "ReplyDelivered",
    ]


def test_a_storm_of_500s_opens_the_circuit_and_every_message_still_gets_a_fallback(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(*[Failure.server_error(500)] * 20)
    questions = "".join(f"Question {n}?\n" for n in range(8))
    run = run_lukas("console", stdin=questions, env=env_for(openai_standin, db))
    assert run.returncode == 0, run.stderr
    # Three attempts for the first message, two for the second (the fifth failure opens the
    # circuit), then none: the breaker answers at once while open.
    assert len(openai_standin.chat_requests()) == 5
    replies = run.stdout.removesuffix("\n").split("\n\n")
    assert len(replies) == 8
    assert set(replies) <= set(FALLBACK_RESPONSES)
    assert all(a != b for a, b in itertools.pairwise(replies))
    assert "circuit" in run.stderr
    replay = run_lukas("replay", "--db", str(db)).stdout
    assert "circuit for chat-model: closed -> open" in replay
    failures = [
        json.loads(line)["data"]
        for line in run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
        if json.loads(line)["type"] == "ReplyFailed"
    ]
    assert [f["kind"] for f in failures] == ["provider", "provider"] + ["circuit_open"] * 6
    assert [f["attempts"] for f in failures][:2] == [3, 3]


def test_a_rejected_key_means_one_request_a_fallback_and_one_admin_alert(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Failure.unauthorized(), Failure.unauthorized())
    env = {**env_for(openai_standin, db), "LUKAS_ADMIN_USERS": "U0ADMIN"}
    run = run_lukas("console", stdin="Hi\nHello?\n", env=env)
    assert len(openai_standin.chat_requests()) == 2  # one per message: never retried
    replies = run.stdout.removesuffix("\n").split("\n\n")
    assert set(replies) <= set(FALLBACK_RESPONSES)
    alerts = [line for line in run.stderr.splitlines() if "ALERT for the admins (U0ADMIN)" in line]
    assert len(alerts) == 1
    assert "OPENAI_API_KEY" in alerts[0]
    assert "sk-test" not in run.stderr
    types_seen = types(run_lukas, db)
    assert types_seen.count("AdminAlerted") == 1


def test_a_kill_while_the_reply_is_being_written_answers_it_once_on_restart(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    # Longer than a pipe holds: with nobody reading, the console blocks mid-stream.
    long_reply = "honey " * 20_000
    openai_standin.script(Reply(long_reply.strip()), Reply("Honey, in short."))
    child = subprocess.Popen(
        [str(LUKAS), "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=clean_environment(env_for(openai_standin, db)),
    )
    assert child.stdin is not None
    child.stdin.write(b"Tell me about honey\n")
    child.stdin.flush()
    deadline = time.monotonic() + 30
    while "ReplyStreamStarted" not in types(run_lukas, db):
        assert time.monotonic() < deadline, "the stream was never recorded"
        time.sleep(0.1)
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    assert types(run_lukas, db) == ["MessageReceived", "ReplyStreamStarted"]

    again = run_lukas("console", env=env_for(openai_standin, db))
    assert again.stdout == ""
    assert again.stderr.count("Honey, in short.") == 1
    assert "Honey" not in run_lukas("console", env=env_for(openai_standin, db)).stderr
    # The cut stream is closed, and the message has exactly one complete answer.
    assert len(openai_standin.chat_requests()) == 2
    assert types(run_lukas, db) == [
        "MessageReceived",
        "ReplyStreamStarted",
        "ReplyStreamClosed",
        "ReplyGenerated",
        "ReplyDelivered",
    ]


def test_piped_a_recovered_reply_goes_to_stderr_and_stdout_has_one_block_per_line(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Left from before"))
    say_with_stdout_gone(openai_standin, db, "The first run's question")

    openai_standin.script(Reply("First answer"), Reply("Second answer"))
    run = run_lukas("console", stdin="One\nTwo\n", env=env_for(openai_standin, db))

    assert run.returncode == 0, run.stderr
    assert run.stdout == "First answer\n\nSecond answer\n"
    assert run.stderr.count("Left from before") == 1
    recovered = next(line for line in run.stderr.splitlines() if "Left from before" in line)
    assert recovered.startswith("[earlier conversation console:")
    assert len(openai_standin.chat_requests()) == 3
