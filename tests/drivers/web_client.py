"""The web page's app over Starlette's test client, on a real log, signed in or not."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.testclient import TestClient

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import RecordedEvent
from lukas.entrypoints.config import load_config
from lukas.entrypoints.web.app import create_app
from lukas.entrypoints.web.auth import SignInThrottle
from lukas.entrypoints.web.site import Site
from lukas.entrypoints.web.team_log import TeamLog

TOKEN = "web-token-for-tests-0123456789"
PAGES = ("/", "/conversations", "/pictures", "/usage", "/reminders", "/people", "/settings")


def web_app(
    db: Path,
    *,
    token: str | None = TOKEN,
    environ: Mapping[str, str] | None = None,
    first_wait: float = 0.05,
) -> Starlette:
    loaded = load_config({"LUKAS_ADMIN_USERS": "U0ADA", **(environ or {})}, None)
    site = Site(loaded, TeamLog(db), dt.UTC, token, SignInThrottle(first_wait=first_wait))
    return create_app(site, loopback_only=token is None)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def signed_in(client: TestClient, token: str = TOKEN) -> TestClient:
    form = client.get("/signin")
    response = client.post("/signin", data={"csrf": csrf_of(form.text), "token": token})
    # Followed to the timeline (which may say the log cannot be read), signed in.
    assert response.url.path == "/", response.text
    assert "Sign out" in response.text
    return client


def recorded(db: Path) -> list[RecordedEvent]:
    """Every event in the log, read through the real store."""

    async def read() -> list[RecordedEvent]:
        async with await SqliteEventStore.open(db, SystemClock(), create=False) as store:
            return await store.read_all()

    return anyio.run(read)
