"""The README's Configuration table says what the settings table says, row for row."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from lukas.domain.settings import SETTINGS, Setting

README = Path(__file__).resolve().parents[1] / "README.md"
LIVE_NOTE = "admins can change it in chat"


@attrs.frozen
class Row:
    variable: str
    toml: str
    default: str
    meaning: str


def configuration_rows(text: str) -> list[Row]:
    """The rows of the table under "## Configuration", cells without their backticks."""
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        variable, toml, default, meaning = cells
        rows.append(Row(variable.strip("`"), toml.strip("`"), default, meaning))
    return rows


ROWS = configuration_rows(README.read_text(encoding="utf-8"))
BY_VARIABLE = {row.variable: row for row in ROWS}


def test_the_readme_lists_every_setting_and_nothing_else_in_the_tables_order() -> None:
    assert [row.variable for row in ROWS] == [s.env for s in SETTINGS]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_each_row_gives_the_settings_toml_key_and_default(setting: Setting[object]) -> None:
    row = BY_VARIABLE[setting.env]
    assert row.toml == (setting.toml_key or "")
    shown = setting.show(setting.default)
    if shown:
        assert row.default == f"`{shown}`"
    else:  # no value: the README says in words what happens then
        assert row.default
        assert not row.default.startswith("`")
    assert row.meaning.endswith(LIVE_NOTE) == setting.live


def test_the_reader_sees_a_drifted_row() -> None:
    """The checks above are only as good as the reading of the table."""
    drifted = (
        "# Lukas\n## Configuration\n\n| `LUKAS_DB` | `database` | `x.db` | the file |\n\n## Next\n"
    )
    assert configuration_rows(drifted) == [Row("LUKAS_DB", "database", "`x.db`", "the file")]
