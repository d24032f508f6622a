""".env.example names every setting with its default, row for row with the settings table."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from lukas.domain.settings import SETTINGS, Setting
from lukas.entrypoints.config import load_config

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
SECRETS = ("OPENAI_API_KEY", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "LUKAS_WEB_TOKEN")


def assignments(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The settings as the file shows them, commented out (`# NAME=value`), and the
    variables it sets outright; values as a shell reads them, quotes removed."""
    shown: dict[str, str] = {}
    set_: dict[str, str] = {}
    for line in text.splitlines():
        commented = line.startswith("# LUKAS_")
        assignment = line.removeprefix("# ") if commented else line
        if not (commented or (assignment and not assignment.startswith("#"))):
            continue
        name, _, value = assignment.partition("=")
        [read] = shlex.split(value) or [""]
        (shown if commented else set_)[name] = read
    return shown, set_


SHOWN, SET = assignments(ENV_EXAMPLE.read_text(encoding="utf-8"))


def test_the_file_lists_every_setting_and_nothing_else_in_the_tables_order() -> None:
    assert list(SHOWN) == [s.env for s in SETTINGS]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_each_setting_is_shown_with_its_default(setting: Setting[object]) -> None:
    assert SHOWN[setting.env] == setting.show(setting.default)


def test_uncommenting_every_line_changes_nothing() -> None:
    """The values are ones Lukas reads back as the defaults, quoting and all."""
    loaded = load_config(SHOWN, None)
    assert loaded.config == load_config({}, None).config


def test_only_the_secrets_are_set_and_they_are_empty() -> None:
    assert dict.fromkeys(SECRETS, "") == SET


def test_the_reader_sees_a_drifted_file() -> None:
    """The checks above are only as good as the reading of the file."""
    drifted = "# about it\n# LUKAS_DB='my events.db'\nOPENAI_API_KEY=sk-x\n# LUKAS_X=\n"
    assert assignments(drifted) == (
        {"LUKAS_DB": "my events.db", "LUKAS_X": ""},
        {"OPENAI_API_KEY": "sk-x"},
    )
