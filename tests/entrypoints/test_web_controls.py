"""The page's controls: a setting changed through the form is a ConfigurationChanged event by
the signed-in admin, checked by the settings table, and what `lukas config show` prints;
pause and resume as `lukas pause` and `lukas resume` record them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from drivers.lukas_cli import lukas_runner
from drivers.team_log import copy_log
from drivers.web_client import csrf_of, recorded, signed_in, web_app
from starlette.testclient import TestClient

from lukas.domain.events import ConfigurationChanged, ProactivePaused, ProactiveResumed

pytestmark = pytest.mark.slow


@pytest.fixture
def db(team_log_template: Path, tmp_path: Path) -> Path:
    return copy_log(team_log_template, tmp_path / "log")


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(web_app(db)) as client:
        yield signed_in(client)


def post(client: TestClient, path: str, **form: str) -> tuple[int, str]:
    csrf = csrf_of(client.get("/settings").text)
    response = client.post(path, data={"csrf": csrf, **form})
    return response.status_code, response.text


def test_a_change_is_recorded_by_the_admin_and_config_show_prints_it(
    client: TestClient, db: Path
) -> None:
    status, page = post(
        client, "/settings", LUKAS_THREAD_PROBABILITY="35%", LUKAS_ACTIVE_HOURS="08:00-18:00"
    )
    assert status == 200
    assert "Changed LUKAS_THREAD_PROBABILITY." in page  # active hours were already that
    changes = [r.event for r in recorded(db) if isinstance(r.event, ConfigurationChanged)]
    assert changes == [
        ConfigurationChanged(
            setting="LUKAS_THREAD_PROBABILITY", old_value="0.2", new_value="0.35", by="web:admin"
        )
    ]
    shown = lukas_runner(db.parent)("config", "show", "--db", str(db))
    assert "LUKAS_THREAD_PROBABILITY=0.35  (changed by web:admin at " in shown.stdout
    assert 'value="0.35"' in page


def test_a_bad_value_changes_nothing_and_says_why_beside_the_field(
    client: TestClient, db: Path
) -> None:
    before = len(recorded(db))
    status, page = post(
        client, "/settings", LUKAS_THREAD_PROBABILITY="0.5", LUKAS_REACTION_PROBABILITY="7"
    )
    assert status == 400
    assert "Nothing was changed: LUKAS_REACTION_PROBABILITY:" in page
    assert 'value="7"' in page  # what the admin typed stays in the field to be fixed
    assert len(recorded(db)) == before


def test_a_setting_admins_cannot_change_is_not_changed_by_a_made_up_field(
    client: TestClient, db: Path
) -> None:
    before = len(recorded(db))
    status, page = post(client, "/settings", LUKAS_LLM_MODEL="openai:evil")
    assert status == 200
    assert "Nothing changed." in page
    assert len(recorded(db)) == before


def test_pause_and_resume_are_recorded_by_the_admin(client: TestClient, db: Path) -> None:
    status, page = post(client, "/pause", until="2h")
    assert status == 200
    assert "Paused until" in page
    status, page = post(client, "/pause", until="next blue moon")
    assert status == 400
    assert "neither a duration" in page
    status, page = post(client, "/resume")
    assert "Not paused" in page
    kinds = [
        (type(r.event), r.event.by)
        for r in recorded(db)
        if isinstance(r.event, ProactivePaused | ProactiveResumed)
    ]
    assert kinds == [(ProactivePaused, "web:admin"), (ProactiveResumed, "web:admin")]


def test_a_notice_says_only_what_the_page_itself_would_say(client: TestClient) -> None:
    page = client.get("/settings?done=Your+account+is+locked").text
    assert "Your account is locked" not in page
