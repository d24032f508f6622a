"""Requests in the console: the same desk as Slack, with the person at the keyboard as admin."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import OpenAIStandIn

pytestmark = pytest.mark.slow


def test_post_remind_and_config_from_the_console(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    env = {"OPENAI_API_KEY": "sk-test-1", "LUKAS_LLM_API_BASE": openai_standin.base_url}
    lines = [
        "/post 'Lab meeting moved to 3pm' to #general",
        "/remind me tomorrow at 9am to water the plants",
        "/reminders",
        "/config thread probability to 1.7",
        "/config thread probability to 0.4",
        "/frobnicate",
    ]
    run = run_lukas("console", "--db", str(db), stdin="\n".join(lines) + "\n", env=env)
    assert run.returncode == 0, run.stderr
    # One block on stdout for each message; the post itself is set aside on stderr.
    blocks = run.stdout.split("\n\n")
    assert len(blocks) == 5
    assert blocks[0] == "Posted in #general. ✅"
    assert blocks[1].startswith("Okay! I'll remind you tomorrow at 09:00: water the plants")
    assert blocks[2] == "Your reminders:\n1. tomorrow at 09:00, for you: water the plants"
    assert blocks[3].startswith("I can't set thread probability to '1.7': a probability must")
    assert blocks[4] == "Done: thread probability is now 0.4 (it was 0.2).\n"
    assert "[in #general] Lab meeting moved to 3pm\n" in run.stderr
    assert "Unknown command '/frobnicate'" in run.stderr
    assert openai_standin.chat_requests() == []  # every line was a documented form

    shown = run_lukas("config", "show", "--db", str(db), env=env).stdout
    me = getpass.getuser()
    assert f"LUKAS_THREAD_PROBABILITY=0.4  (changed by console:{me} at " in shown
    replay = run_lukas("replay", "--db", str(db), env=env).stdout
    assert f'console:{me} changed LUKAS_THREAD_PROBABILITY from "0.2" to "0.4"' in replay
    assert "reminder 1" in replay


def test_forget_me_from_the_console_forgets_the_console_user(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    env = {"OPENAI_API_KEY": "sk-test-1", "LUKAS_LLM_API_BASE": openai_standin.base_url}
    lines = ["/remind me tomorrow at 9am to water the thyme", "/forget me", "/yes, forget me"]
    run = run_lukas("console", "--db", str(db), stdin="\n".join(lines) + "\n", env=env)
    assert run.returncode == 0, run.stderr
    reminded, asked, done = run.stdout.split("\n\n")
    assert "water the thyme" in reminded
    assert "yes, forget me" in asked
    assert done == "Done: I have forgotten everything you and I said to each other. 🐻\n"
    replay = run_lukas("replay", "--db", str(db), "--format", "jsonl", env=env).stdout
    assert "thyme" not in replay
    me = getpass.getuser()
    assert f'"person_id": "console:{me}"' in replay
    assert '"via": "console"' in replay
