"""Whatever a user gets wrong ends in one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from drivers.damage import overwrite_a_middle_leaf_page
from drivers.lukas_cli import LUKAS, Run, RunLukas, clean_environment

pytestmark = pytest.mark.slow


def assert_one_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_garbage_file_as_db_is_refused_untouched(run_lukas: RunLukas, tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_text("shopping: honey, more honey\n")
    for command in (["replay"], ["console"], ["conversations"]):
        run = run_lukas(*command, "--db", str(garbage), stdin="Hi\n")
        assert run.returncode == 1
        assert_one_line(run.stderr, "lukas:", "notes.txt is not a SQLite database")
    assert garbage.read_text() == "shopping: honey, more honey\n"


def test_another_programs_database_is_refused(run_lukas: RunLukas, tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE users (id INTEGER)")
    run = run_lukas("replay", "--db", str(other))
    assert run.returncode == 1
    assert_one_line(run.stderr, "another program")


def test_a_missing_database_is_named(run_lukas: RunLukas, tmp_path: Path) -> None:
    run = run_lukas("replay", "--db", str(tmp_path / "nope.db"))
    assert run.returncode == 1
    assert_one_line(run.stderr, "no event store at", "nope.db")
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["replay", "--from", "abc"], "not a position: 'abc'"),
        (["replay", "--format", "xml"], "invalid choice: 'xml'"),
        (["context", "my chat"], "not a conversation key"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "required: command"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    run_lukas: RunLukas, args: list[str], fragment: str
) -> None:
    run = run_lukas(*args)
    assert run.returncode == 2
    assert_one_line(run.stderr, fragment)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"LUKAS_LLM_TEMPERATURE": "hot"}, "LUKAS_LLM_TEMPERATURE='hot' is not a number"),
        ({"LUKAS_HISTORY_PAIRS": "0"}, "LUKAS_HISTORY_PAIRS='0' must be at least 1"),
        ({"LUKAS_LLM_MODEL": "gpt-5.4-mini"}, "is not provider:model"),
        ({"LUKAS_LLM_MODEL": "teapot:earl-grey"}, "unknown provider 'teapot'"),
    ],
)
def test_bad_configuration_is_named(
    run_lukas: RunLukas, tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    run = run_lukas("console", stdin="Hi\n", env={**env, "LUKAS_DB": str(tmp_path / "l.db")})
    assert run.returncode == 1
    assert_one_line(run.stderr, fragment)


def test_a_broken_lukas_toml_is_named(run_lukas: RunLukas, tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text("[llm\nmodel = 'x'\n")
    run = run_lukas("replay")
    assert run.returncode == 1
    assert_one_line(run.stderr, "lukas.toml is not valid TOML")


def test_lukas_toml_settings_apply_and_the_environment_wins(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    (tmp_path / "lukas.toml").write_text(
        'history_pairs = 4\n[llm]\ntemperature = 0.2\nmodel = "anthropic:claude-sonnet-4-5"\n'
    )
    run = run_lukas("config", "show", env={"LUKAS_LLM_TEMPERATURE": "0.5"})
    assert run.returncode == 0, run.stderr
    assert "LUKAS_HISTORY_PAIRS=4  (lukas.toml)" in run.stdout
    assert "LUKAS_LLM_TEMPERATURE=0.5  (environment)" in run.stdout
    assert "ANTHROPIC_API_KEY  (not set; the value is never shown)" in run.stdout


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        (
            {"LUKAS_TIMEZONE": "Mars/Base"},
            ["LUKAS_TIMEZONE='Mars/Base' is not a time zone", "(from the environment)"],
        ),
        (
            {"LUKAS_IMAGE_SCHEDULE": "never"},
            ["LUKAS_IMAGE_SCHEDULE='never'", "not a weekly schedule", "(from the environment)"],
        ),
        (
            {"LUKAS_LLM_MODEL": "openai:"},
            ["LUKAS_LLM_MODEL='openai:' has no model name", "(from the environment)"],
        ),
        ({"LUKAS_LOG_LEVEL": "loud"}, ["LUKAS_LOG_LEVEL='loud' is not one of the allowed"]),
    ],
)
def test_config_show_refuses_a_bad_value_with_the_reason(
    run_lukas: RunLukas, env: dict[str, str], fragments: list[str]
) -> None:
    run = run_lukas("config", "show", env=env)
    assert run.returncode == 1
    assert run.stdout == ""
    assert_one_line(run.stderr, "lukas:", *fragments)


def test_config_show_names_a_bad_value_in_lukas_toml_by_its_key(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    (tmp_path / "lukas.toml").write_text('timezone = "Mars/Base"\n')
    run = run_lukas("config", "show")
    assert run.returncode == 1
    assert_one_line(run.stderr, "LUKAS_TIMEZONE='Mars/Base'", "(from timezone in lukas.toml)")


def test_config_show_shows_each_value_as_it_reads_it_back(run_lukas: RunLukas) -> None:
    run = run_lukas(
        "config",
        "show",
        env={"LUKAS_MONITORED_CHANNELS": "general;<#C0123|lab>", "LUKAS_LLM_TIMEOUT": "45.0"},
    )
    assert run.returncode == 0, run.stderr
    assert "LUKAS_MONITORED_CHANNELS=#general, C0123  (environment)" in run.stdout
    assert "LUKAS_LLM_TIMEOUT=45  (environment)" in run.stdout
    assert "LUKAS_THREAD_PROBABILITY=0.2  (default)" in run.stdout
    assert "LUKAS_LOG_LEVEL=WARNING  (default)" in run.stdout


def _can_mount_read_only(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_text("")
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0"', str(probe)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _run_with_read_only(target: Path, *args: str, stdin: str = "") -> Run:
    """`lukas` with `target` (a file or a folder) read-only: bind-mounted read-only in a
    mount namespace of its own, since a root user writes through chmod 444."""
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "sh",
            "-c",
            'mount --bind -o ro "$0" "$0" && shift && exec "$@"',
            str(target),
            "unused",
            str(LUKAS),
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=target.parent if target.is_file() else target,
        env=clean_environment(),
        timeout=60,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def a_store_with_a_conversation(run_lukas: RunLukas, tmp_path: Path) -> Path:
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs unshare and mount (root with CAP_SYS_ADMIN) for a read-only file")
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "lukas.db"
    assert run_lukas("console", "--db", str(db), stdin="Hi\n").returncode == 0
    return db


@pytest.mark.parametrize("command", [["console"], ["pause", "--until", "1h"]])
def test_a_read_only_database_is_named_before_anything_is_taken(
    a_store_with_a_conversation: Path, command: list[str]
) -> None:
    db = a_store_with_a_conversation
    before = db.read_bytes()
    run = _run_with_read_only(db, *command, "--db", str(db), stdin="Hi\n")
    assert run.returncode == 1
    assert_one_line(
        run.stderr, f"lukas: cannot write to {db}: read-only (check the file's permissions)"
    )
    assert "ExceptionGroup" not in run.stderr
    assert db.read_bytes() == before


def test_a_read_only_database_can_still_be_replayed(a_store_with_a_conversation: Path) -> None:
    db = a_store_with_a_conversation
    run = _run_with_read_only(db, "replay", "--db", str(db))
    assert run.returncode == 0, run.stderr
    assert 'said "Hi"' in run.stdout


def test_a_read_only_key_file_can_still_be_replayed(a_store_with_a_conversation: Path) -> None:
    db = a_store_with_a_conversation
    keys = db.with_name("lukas.db.keys")
    assert keys.exists()  # the words are sealed (ADR 27)
    run = _run_with_read_only(keys, "replay", "--db", str(db))
    assert run.returncode == 0, run.stderr
    assert 'said "Hi"' in run.stdout


def test_a_read_only_folder_is_named(a_store_with_a_conversation: Path) -> None:
    db = a_store_with_a_conversation
    run = _run_with_read_only(db.parent, "console", "--db", str(db), stdin="Hi\n")
    assert run.returncode == 1
    assert_one_line(run.stderr, f"lukas: cannot write to {db.parent}: read-only", "-shm")


@pytest.mark.parametrize("command", [["replay"], ["console"], ["pause"]])
def test_dev_null_as_the_database_is_refused(run_lukas: RunLukas, command: list[str]) -> None:
    run = run_lukas(*command, "--db", os.devnull, stdin="Hi\n")
    assert run.returncode == 1
    assert_one_line(run.stderr, f"lukas: {os.devnull} is not a regular file")


@pytest.mark.parametrize("command", [["replay"], ["console"], ["conversations"]])
def test_a_bogus_log_level_is_one_line_on_every_command(
    run_lukas: RunLukas, tmp_path: Path, command: list[str]
) -> None:
    run = run_lukas(
        *command,
        "--db",
        str(tmp_path / "l.db"),
        stdin="Hi\n",
        env={"LUKAS_LOG_LEVEL": "bogus"},
    )
    assert run.returncode == 1
    assert_one_line(run.stderr, "LUKAS_LOG_LEVEL='bogus' is not one of the allowed values")


@pytest.mark.parametrize(
    ("bot_token", "fragment"),
    [
        ("xoxb-test", "SLACK_BOT_TOKEN is too short for a Slack token (9 characters)"),
        ("xoxb-1234 567890abc", "SLACK_BOT_TOKEN has characters a Slack token does not"),
        ("xoxp-1234567890abc", "SLACK_BOT_TOKEN does not look like a Slack token"),
    ],
)
def test_a_malformed_slack_token_is_named_for_what_is_wrong(
    run_lukas: RunLukas, tmp_path: Path, bot_token: str, fragment: str
) -> None:
    env = {"SLACK_BOT_TOKEN": bot_token, "SLACK_APP_TOKEN": "xapp-1-abcdefghijkl"}
    run = run_lukas("slack", "--db", str(tmp_path / "l.db"), env=env)
    assert run.returncode == 2
    assert_one_line(run.stderr, f"lukas: {fragment}")
    assert bot_token not in run.stderr
    assert not (tmp_path / "l.db").exists()


def test_slack_unreachable_is_named_with_its_address(run_lukas: RunLukas, tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9/api/"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-abcdefghijkl",
        "SLACK_APP_TOKEN": "xapp-1-abcdefghijkl",
        "LUKAS_SLACK_API_URL": closed,
    }
    run = run_lukas("slack", "--db", str(tmp_path / "l.db"), env=env)
    assert run.returncode == 1
    assert_one_line(
        run.stderr,
        f"lukas: cannot reach Slack at {closed}: connection refused",
        "LUKAS_SLACK_API_URL",
    )
    assert "xoxb-1-abcdefghijkl" not in run.stderr


def test_a_damaged_database_is_named_with_the_way_to_its_good_events(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    lines = "".join(f"Line {i}: " + "honey and more honey " * 40 + "\n" for i in range(30))
    assert run_lukas("console", "--db", str(db), stdin=lines).returncode == 0
    everything = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    overwrite_a_middle_leaf_page(db)

    # The console checks the whole file before its first write, not at open (ADR 22): it
    # may have said it is offline by then, but it writes nothing and stops on the damage.
    before = db.read_bytes()
    console = run_lukas("console", "--db", str(db), stdin="Hi\n")
    assert console.returncode == 1
    assert "Traceback" not in console.stderr
    errors = [line for line in console.stderr.splitlines() if line.startswith("lukas:")]
    assert len(errors) == 1, console.stderr
    assert errors[0] == console.stderr.splitlines()[-1]
    assert f"lukas: the database {db} is damaged: " in errors[0]
    assert db.read_bytes() == before, "written after the damage"
    for command in (["replay"], ["conversations"]):
        run = run_lukas(*command, "--db", str(db), stdin="Hi\n")
        assert run.returncode == 1
        assert_one_line(run.stderr, f"lukas: the database {db} is damaged: ", "read fine")
    found = re.search(r"`lukas replay --db (\S+) --until (\d+)`", run.stderr)
    assert found is not None, run.stderr
    last_good = int(found[2])
    assert 0 < last_good < len(everything)

    good = run_lukas(*found[0].strip("`").split()[1:], "--format", "jsonl")
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines() == everything[:last_good]
