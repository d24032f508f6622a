"""LUKAS_DB shown and logged without the password a PostgreSQL URL may hold."""

from __future__ import annotations

import pytest

from lukas.domain.setting_values import database_passwords, show_database


@pytest.mark.parametrize(
    ("value", "shown", "passwords"),
    [
        ("lukas.db", "lukas.db", []),
        ("team: notes.db", "team: notes.db", []),
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db", ["pw"]),
        ("postgres://u:p%40w@h/db", "postgres://u:***@h/db", ["p%40w"]),
        ("postgresql://u@h/db", "postgresql://u@h/db", []),
        ("postgresql://u:@h/db", "postgresql://u:@h/db", []),
        (
            "postgresql://h/db?sslmode=require&password=x1",
            "postgresql://h/db?sslmode=require&password=***",
            ["x1"],
        ),
    ],
)
def test_a_password_is_hidden_and_named_for_redaction(
    value: str, shown: str, passwords: list[str]
) -> None:
    assert show_database(value) == shown
    assert database_passwords(value) == passwords
