"""Signed out, the web page shows nothing of the team's talk and takes no form; signing in
takes the token alone, compared in constant time, and slows each failure."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from drivers.team_log import FIRST, REPLY, copy_log
from drivers.web_client import PAGES, TOKEN, csrf_of, recorded, signed_in, web_app
from starlette.testclient import TestClient

from lukas.entrypoints.web.auth import COOKIE, SignInThrottle, WebTokenError, checked_token

pytestmark = pytest.mark.slow


@pytest.fixture
def db(team_log_template: Path, tmp_path: Path) -> Path:
    return copy_log(team_log_template, tmp_path / "log")


def test_signed_out_every_page_sends_to_sign_in_and_shows_no_talk(db: Path) -> None:
    with TestClient(web_app(db)) as client:
        for path in (*PAGES, "/conversations/console:anything"):
            response = client.get(path)
            assert response.url.path == "/signin", path
            assert FIRST not in response.text
            assert REPLY not in response.text
            assert "web:admin" not in response.text
        assert client.get("/live?after=0").status_code == 401


def test_signed_out_a_form_post_is_refused_and_nothing_is_recorded(db: Path) -> None:
    before = len(recorded(db))
    with TestClient(web_app(db)) as client:
        csrf = csrf_of(client.get("/signin").text)  # a session, but nobody signed in
        for path, form in (
            ("/settings", {"LUKAS_THREAD_PROBABILITY": "0.9"}),
            ("/pause", {"until": "2h"}),
            ("/resume", {}),
        ):
            response = client.post(path, data={"csrf": csrf, **form})
            assert response.status_code == 403, path
    with TestClient(web_app(db)) as client:
        settings = signed_in(client).get("/settings").text
    assert "0.9" not in settings
    assert "Not paused" in settings
    assert len(recorded(db)) == before


def test_the_session_cookie_is_http_only_strict_and_secure_over_https(db: Path) -> None:
    with TestClient(web_app(db)) as client:
        cookie = client.get("/signin").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    with TestClient(web_app(db), base_url="https://testserver") as client:
        assert "Secure" in client.get("/signin").headers["set-cookie"]


def test_signing_in_starts_a_new_session_and_signing_out_ends_it(db: Path) -> None:
    with TestClient(web_app(db)) as client:
        client.get("/signin")
        before = client.cookies[COOKIE]
        signed_in(client)
        after = client.cookies[COOKIE]
        assert after != before
        assert FIRST in client.get("/conversations/" + _first_key(client)).text
        out = client.post("/signout", data={"csrf": csrf_of(client.get("/").text)})
        assert out.url.path == "/signin"
        client.cookies.set(COOKIE, after)  # the old cookie, kept by someone
        assert client.get("/").url.path == "/signin"


def test_a_wrong_token_is_refused_slowly_and_never_shown(db: Path) -> None:
    with TestClient(web_app(db, first_wait=0.2)) as client:
        waits = []
        for _ in range(2):
            csrf = csrf_of(client.get("/signin").text)
            started = time.monotonic()
            response = client.post("/signin", data={"csrf": csrf, "token": TOKEN + "x"})
            waits.append(time.monotonic() - started)
            assert response.status_code == 403
            assert "not the token" in response.text
            assert TOKEN not in response.text
        assert waits[0] >= 0.2
        assert waits[1] >= 0.4  # doubled
        assert client.get("/").url.path == "/signin"


def test_a_sign_in_without_the_forms_csrf_token_is_refused(db: Path) -> None:
    with TestClient(web_app(db)) as client:
        client.get("/signin")
        response = client.post("/signin", data={"csrf": "made-up", "token": TOKEN})
        assert response.status_code == 403
        assert client.get("/").url.path == "/signin"


def test_a_form_post_without_the_sessions_csrf_token_is_refused(db: Path) -> None:
    with TestClient(web_app(db)) as client:
        signed_in(client)
        response = client.post("/settings", data={"LUKAS_THREAD_PROBABILITY": "0.9"})
        assert response.status_code == 403
        response = client.post(
            "/settings", data={"csrf": "x" * 43, "LUKAS_THREAD_PROBABILITY": "0.9"}
        )
        assert response.status_code == 403
        assert 'value="0.2"' in client.get("/settings").text


def test_without_a_token_only_requests_to_this_machine_are_served(db: Path) -> None:
    with TestClient(web_app(db, token=None), base_url="http://127.0.0.1") as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "web:local" in page.text
    with TestClient(web_app(db, token=None), base_url="http://lukas.example") as client:
        assert client.get("/").status_code == 421


def test_the_throttle_doubles_up_to_its_longest_and_forgets_old_failures() -> None:
    throttle = SignInThrottle(first_wait=1.0, longest=30.0)
    assert [throttle.wait_for(n) for n in (1, 2, 3, 6, 7)] == [1.0, 2.0, 4.0, 30.0, 30.0]


@pytest.mark.parametrize("weak", ["short", " padded-token-0123456789 "])
def test_a_weak_token_is_refused_without_showing_it(weak: str) -> None:
    with pytest.raises(WebTokenError) as raised:
        checked_token(weak)
    assert weak.strip() not in str(raised.value)


def _first_key(client: TestClient) -> str:
    page = client.get("/conversations").text
    start = page.index('href="/conversations/') + len('href="/conversations/')
    return page[start : page.index('"', start)]
