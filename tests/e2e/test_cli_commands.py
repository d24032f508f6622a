"""The commands a newcomer reaches for: --version, global options anywhere, status, export."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import Failure, OpenAIStandIn, Reply

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


def test_status_without_a_provider_says_offline_and_shows_the_pause(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    berlin = {"LUKAS_TIMEZONE": "Europe/Berlin"}
    assert run_lukas("console", "--db", str(db), stdin="Hi Lukas\n").returncode == 0
    assert (
        run_lukas("pause", "--until", "2030-12-05T13:00:00+00:00", "--db", str(db)).returncode == 0
    )
    run = run_lukas("status", "--db", str(db), env=berlin)
    assert run.returncode == 0, run.stderr
    assert "• AI provider: offline" in run.stdout
    assert "healthy" not in run.stdout
    assert "• speaking unasked: paused until Thu 05 Dec 14:00" in run.stdout
    assert "• next picture: none scheduled (LUKAS_IMAGE_CHANNEL is not set)" in run.stdout
    assert "0 message(s) not answered, 0 reply(ies) not delivered" in run.stdout
    assert "no local Ollama" in run.stderr  # how to configure a provider, as the console says


def test_status_with_a_provider_names_it_and_the_next_picture(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    db = tmp_path / "never-made.db"
    env = {
        "OPENAI_API_KEY": "sk-test-status-secret-1234567890",
        "LUKAS_IMAGE_CHANNEL": "C0123ABCD",
        "LUKAS_IMAGE_SCHEDULE": "fri 10:00",
        "LUKAS_TIMEZONE": "Europe/Berlin",
    }
    run = run_lukas("--db", str(db), "status", env=env)
    assert run.returncode == 0, run.stderr
    assert "• AI provider: openai:gpt-5.4-mini, healthy" in run.stdout
    [picture] = [line for line in run.stdout.splitlines() if "next picture" in line]
    assert picture.startswith("• next picture: Fri ")
    assert picture.endswith(" 10:00 (Europe/Berlin) in C0123ABCD")
    assert "no event log at" in run.stdout
    assert not db.exists()  # looking made no file
    assert "sk-test-status-secret" not in run.stdout + run.stderr


def _console_conversation(run_lukas: RunLukas, standin: OpenAIStandIn, db: Path) -> str:
    standin.script(Reply("Hello! I'm Lukas \U0001f43b"), Failure(400, "bad request"))
    env = {"OPENAI_API_KEY": "sk-test-export-1234567890", "LUKAS_LLM_API_BASE": standin.base_url}
    console = run_lukas("console", "--db", str(db), stdin="Hi Lukas\n# not a heading\n", env=env)
    assert console.returncode == 0, console.stderr
    listed = run_lukas("conversations", "--db", str(db))
    [key] = [line.split()[0] for line in listed.stdout.splitlines()]
    return key


def test_export_as_markdown_marks_replies_and_fallbacks(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    key = _console_conversation(run_lukas, openai_standin, db)
    run = run_lukas("export", key, "--db", str(db), env={"LUKAS_TIMEZONE": "Europe/Berlin"})
    assert run.returncode == 0, run.stderr
    me = getpass.getuser()
    blocks = run.stdout.split("\n\n")
    assert blocks[:2] == [f"# Conversation {key}", "Times in Europe/Berlin."]
    heads = [block for block in blocks if block.startswith("**")]
    assert [head.split(",")[0] for head in heads] == [
        f"**{me}**",
        "**Lukas** (reply by openai:gpt-5.4-mini)",
        f"**{me}**",
        "**Lukas** (fallback: bad_request)",
    ]
    for head in heads:  # when, in words, in the team's zone (named once, above)
        assert re.search(r", [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}$", head), head
    assert "> Hi Lukas" in blocks
    assert "> Hello! I'm Lukas \U0001f43b" in blocks
    assert "> # not a heading" in blocks


def test_export_as_json_lists_who_said_what_and_when(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    key = _console_conversation(run_lukas, openai_standin, db)
    run = run_lukas(
        "--db", str(db), "export", key, "--format", "json", env={"LUKAS_TIMEZONE": "Asia/Tokyo"}
    )
    assert run.returncode == 0, run.stderr
    lines = json.loads(run.stdout)
    assert [(line["kind"], line["author"], line["text"]) for line in lines] == [
        ("message", getpass.getuser(), "Hi Lukas"),
        ("reply", "Lukas", "Hello! I'm Lukas \U0001f43b"),
        ("message", getpass.getuser(), "# not a heading"),
        ("fallback", "Lukas", lines[3]["text"]),
    ]
    assert lines[1]["reply_to"] == lines[0]["id"]
    assert lines[3]["reply_to"] == lines[2]["id"]
    assert [line["delivered"] for line in lines] == [None, True, None, True]
    assert all(
        dt.datetime.fromisoformat(line["at"]).utcoffset() == dt.timedelta(hours=9) for line in lines
    )


def test_export_of_an_unknown_conversation_is_one_line(run_lukas: RunLukas, tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    assert run_lukas("pause", "--db", str(db)).returncode == 0
    run = run_lukas("export", "console:nobody-here", "--db", str(db))
    assert run.returncode == 1
    assert run.stderr == (
        "lukas: no conversation console:nobody-here in this log (see `lukas conversations`)\n"
    )
