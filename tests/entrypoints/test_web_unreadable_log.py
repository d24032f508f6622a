"""A log that is missing or is not Lukas's gets a clear page, not a traceback, and the page
finds the log once it is there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from drivers.damage import overwrite_a_middle_leaf_page
from drivers.lukas_cli import lukas_runner
from drivers.team_log import FIRST
from drivers.web_client import csrf_of, signed_in, web_app
from starlette.testclient import TestClient

pytestmark = pytest.mark.slow


def test_a_missing_log_gets_a_page_saying_so_and_is_found_once_it_is_there(
    team_log_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with TestClient(web_app(db)) as client:
        signed_in(client)
        page = client.get("/")
        assert page.status_code == 503
        assert "The event log cannot be read" in page.text
        assert f"there is no event log at {db} yet" in page.text
        assert not db.exists()  # never created by the page
        for path in team_log_template.parent.iterdir():
            if path.name.startswith("lukas.db") and path.is_file():
                shutil.copy2(path, tmp_path / path.name)
        conversations = client.get("/conversations")
        assert conversations.status_code == 200
        assert "console:" in conversations.text


def test_a_file_that_is_not_an_event_log_gets_a_page_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    db.write_bytes(b"this is a shopping list, not a database\n" * 100)
    with TestClient(web_app(db)) as client:
        signed_in(client)
        for path in ("/", "/settings", "/conversations"):
            page = client.get(path)
            assert page.status_code == 503, path
            assert "The event log cannot be read" in page.text
            assert str(db) in page.text
            assert "Traceback" not in page.text
        assert FIRST not in page.text


def test_a_damaged_log_gets_a_page_naming_the_damage_and_takes_no_change(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    lines = "".join(f"Line {i}: " + "honey and more honey " * 40 + "\n" for i in range(30))
    made = lukas_runner(tmp_path)("console", "--db", str(db), stdin=lines)
    assert made.returncode == 0, made.stderr
    overwrite_a_middle_leaf_page(db)
    before = db.read_bytes()
    with TestClient(web_app(db)) as client:
        signed_in(client)
        page = client.get("/conversations")
        assert page.status_code == 503
        assert f"the database {db} is damaged" in page.text
        assert "Traceback" not in page.text
        settings = client.get("/settings")
        assert settings.status_code == 503
        # A change asked for anyway (the sign-out form's token is the session's) is refused.
        refused = client.post(
            "/settings",
            data={"csrf": csrf_of(settings.text), "LUKAS_THREAD_PROBABILITY": "0.5"},
        )
        assert refused.status_code == 503
        assert "is damaged" in refused.text
    assert db.read_bytes() == before  # nothing written to a damaged file
