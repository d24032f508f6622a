"""Whatever a user gets wrong ends in one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas

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
