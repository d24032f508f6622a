"""`lukas web` in real Chromium: signed out it shows nothing and takes no form; signed in
with the token, a console conversation is two clicks from the home page with its token
counts, a message written meanwhile appears on the home page without a reload, and a
setting changed in the form is what `lukas config show` prints. Each page is screenshotted."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drivers.browser import chromium_or_skip, keep_screenshot
from drivers.lukas_cli import lukas_runner
from drivers.lukas_web import WebServer, lukas_web
from drivers.team_log import FIRST, REPLY, copy_log, env_for
from playwright.sync_api import Browser, Page, sync_playwright
from standins.openai_server import OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

TOKEN = "browser-test-token-0123456789abcdef"
SECRET_KEY = "sk-test-web-0123456789abcdef"  # the team log's provider key


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable))
        yield browser
        browser.close()


@pytest.fixture
def db(team_log_template: Path, tmp_path: Path) -> Path:
    return copy_log(team_log_template, tmp_path / "log")


@pytest.fixture
def server(db: Path) -> Iterator[WebServer]:
    with lukas_web(db, {"LUKAS_WEB_TOKEN": TOKEN, "OPENAI_API_KEY": SECRET_KEY}) as running:
        yield running
    assert TOKEN not in running.stderr
    assert SECRET_KEY not in running.stderr


@pytest.fixture
def page(chromium: Browser, server: WebServer) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)


def sign_in(page: Page, server: WebServer) -> None:
    page.goto(server.url + "/")
    page.fill("input[name=token]", TOKEN)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(server.url + "/")


def test_signed_out_the_pages_show_nothing_and_a_form_post_is_refused(
    page: Page, server: WebServer, tmp_path: Path
) -> None:
    for path in ("/", "/conversations", "/settings", "/usage"):
        page.goto(server.url + path)
        assert page.url == server.url + "/signin"
        text = page.inner_text("body")
        assert FIRST not in text
        assert REPLY not in text
    shoot(page, tmp_path, "signin")
    refused = page.request.post(server.url + "/settings", form={"LUKAS_THREAD_PROBABILITY": "0.9"})
    assert refused.status == 403
    page.fill("input[name=token]", "not-the-token-at-all-0000")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=That is not the token.")
    assert page.url == server.url + "/signin"


def test_a_console_conversation_is_two_clicks_from_home_with_token_counts(
    page: Page, server: WebServer, tmp_path: Path
) -> None:
    sign_in(page, server)
    page.click("nav >> text=Conversations")
    page.click("a[href^='/conversations/console:']")
    assert "/conversations/console:" in page.url
    text = page.inner_text("main")
    assert FIRST in text
    assert REPLY in text
    assert re.search(r"· \d+ tokens", text)  # the message's own count, shown at once
    page.click("details.context >> nth=0 >> summary")
    counts = page.locator("details.context >> nth=0 >> td.tokens").all_inner_texts()
    assert len(counts) >= 2
    assert all(count.isdigit() for count in counts)
    shoot(page, tmp_path, "conversation")


def test_a_message_written_meanwhile_appears_on_the_home_page_without_a_reload(
    page: Page, server: WebServer, db: Path, openai_standin: OpenAIStandIn
) -> None:
    sign_in(page, server)
    page.wait_for_selector("#live-state:text('live')")
    page.evaluate("window.notReloaded = true")
    openai_standin.script(Reply("Buzzing along nicely!"))
    said = "A message written meanwhile about bees"
    chat = lukas_runner(db.parent)("console", stdin=said + "\n", env=env_for(openai_standin, db))
    assert chat.returncode == 0, chat.stderr
    row = page.locator("#timeline tr", has_text=said)
    row.first.wait_for(timeout=10_000)
    page.locator("#timeline tr", has_text="Buzzing along nicely!").first.wait_for(timeout=10_000)
    assert page.evaluate("window.notReloaded") is True


def test_a_setting_changed_in_the_form_is_what_config_show_prints(
    page: Page, server: WebServer, db: Path, tmp_path: Path
) -> None:
    sign_in(page, server)
    page.click("nav >> text=Settings")
    page.fill("input[name=LUKAS_THREAD_PROBABILITY]", "0.45")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Changed LUKAS_THREAD_PROBABILITY.")
    shoot(page, tmp_path, "settings")
    shown = lukas_runner(db.parent)("config", "show", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "LUKAS_THREAD_PROBABILITY=0.45  (changed by web:admin at " in shown.stdout


def test_every_page_renders_in_chromium(page: Page, server: WebServer, tmp_path: Path) -> None:
    sign_in(page, server)
    for name in ("timeline", "conversations", "pictures", "usage", "reminders", "people"):
        page.goto(server.url + ("/" if name == "timeline" else f"/{name}"))
        assert page.locator("h1").count() == 1
        shoot(page, tmp_path, name)
    page.goto(server.url + "/pictures")
    assert page.locator("img").count() == 1
    # Polled from here: wait_for_function compiles its predicate in the page, which the
    # page's Content-Security-Policy (no unsafe-eval) rightly refuses once it must poll.
    picture, deadline = page.locator("img"), time.monotonic() + 5
    while not picture.evaluate("image => image.complete && image.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the picture did not load within 5 s"
        page.wait_for_timeout(50)
