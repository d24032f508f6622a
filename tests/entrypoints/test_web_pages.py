"""Signed in, each page shows what the log says: the timeline, a conversation with the
context `lukas context` gives, pictures, usage plots, reminders, people and settings; people's
words as text, never as markup; no secret anywhere."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from drivers.lukas_cli import lukas_runner
from drivers.team_log import FIRST, HOSTILE, MEMBER, REPLY, copy_log
from drivers.web_client import PAGES, TOKEN, signed_in, web_app
from standins.openai_server import TINY_PNG
from starlette.testclient import TestClient

from lukas.adapters.sealing.sealed_store import RECHECK_SECONDS
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.context import ContextBuilder
from lukas.application.feedback import FeedbackBox
from lukas.application.ports.chat_channel import Rateable
from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.context_window import ContextLimits
from lukas.domain.events import ReplyDelivered
from lukas.entrypoints.store_and_tokens import open_store
from lukas.entrypoints.web.views import exchanges

pytestmark = pytest.mark.slow

SECRET_KEY = "sk-test-web-0123456789abcdef"


@pytest.fixture
def db(team_log_template: Path, tmp_path: Path) -> Path:
    return copy_log(team_log_template, tmp_path / "log")


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(web_app(db, environ={"OPENAI_API_KEY": SECRET_KEY})) as client:
        yield signed_in(client)


def conversation_key(client: TestClient) -> str:
    [key] = re.findall(r'href="/conversations/(console:[^"]+)"', client.get("/conversations").text)
    return str(key)


def test_the_timeline_shows_the_newest_events_first_with_links_to_conversations(
    client: TestClient,
) -> None:
    page = client.get("/").text
    kinds = re.findall(r'<td class="kind">(\w+)</td>', page)
    assert kinds[0] == "MemberJoined"  # the last event recorded
    assert {"MessageReceived", "ReplyGenerated", "ImageGenerated", "ReminderSet"} <= set(kinds)
    assert f'href="/conversations/{conversation_key(client)}"' in page


def test_a_conversation_shows_each_reply_with_the_context_lukas_context_gives(
    client: TestClient, db: Path
) -> None:
    key = conversation_key(client)
    page = client.get(f"/conversations/{key}").text
    assert FIRST in page
    assert REPLY in page
    assert "gpt" in page or "openai" in page  # the model that answered
    assert re.search(r"\d+ ms", page)  # its latency
    context = lukas_runner(db.parent)(
        "context", key, "--db", str(db), "--at", _position_of_first(page), "--format", "json"
    )
    assert context.returncode == 0, context.stderr
    expected = json.loads(context.stdout)
    first_table = page.split('<table class="context-table">')[1].split("</table>")[0]
    tokens = [int(t) for t in re.findall(r'<td class="num tokens">(\d+)</td>', first_table)]
    assert tokens == [m["tokens"] for m in expected["messages"]]
    assert f"Context sent to the model: {expected['total_tokens']} tokens" in page


def test_peoples_words_are_shown_as_text_never_as_markup(client: TestClient) -> None:
    for path in ("/", f"/conversations/{conversation_key(client)}"):
        page = client.get(path).text
        assert "<script>document.title" not in page
        assert "<b>bold?</b>" not in page
    assert "&lt;script&gt;" in client.get(f"/conversations/{conversation_key(client)}").text
    assert HOSTILE not in client.get("/").text


def test_the_gallery_shows_the_picture_with_its_prompt_and_theme(client: TestClient) -> None:
    page = client.get("/pictures").text
    assert "A bear in the snow, waving at the team!" in page  # the caption
    assert "winter" in page
    [source] = re.findall(r'<img src="(/picture/[^"]+)"', page)
    picture = client.get(source)
    assert picture.status_code == 200
    assert picture.content == TINY_PNG
    assert client.get("/picture/image-period:1999-W01").status_code == 404


def test_usage_is_plotted_per_day_and_provider(client: TestClient) -> None:
    page = client.get("/usage").text
    # Activity, tokens, money, and check-ins per member (ada, on the roster: none yet).
    assert page.count("<svg") == 4
    assert "<title>check-ins delivered, ada: 0</title>" in page
    assert "Tokens per day, by provider" in page
    assert "Spent on pictures: $0.042." in page


def test_reminders_and_people_are_listed(client: TestClient) -> None:
    reminders = client.get("/reminders").text
    assert "stretch" in reminders
    assert "pending" in reminders
    assert re.search(
        r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td><td>[^<]+</td><td class=\"num\">1</td>", reminders
    )
    assert "<td>waiting</td>" in reminders
    people = client.get("/people").text
    assert MEMBER.real_name in people
    assert MEMBER.member_id in people
    assert "admin" in people  # LUKAS_ADMIN_USERS names U0ADA


def test_settings_show_every_setting_with_its_source_and_no_secret(client: TestClient) -> None:
    page = client.get("/settings").text
    from lukas.domain.settings import SETTINGS

    for setting in SETTINGS:
        assert f"<code>{setting.env}</code>" in page
        if setting.live:
            assert f'name="{setting.env}"' in page
    assert "(default)" not in page  # sources are in their own column
    assert "default" in page


def test_no_page_holds_a_secret_or_the_sign_in_token(client: TestClient) -> None:
    key = conversation_key(client)
    for path in (*PAGES, f"/conversations/{key}"):
        page = client.get(path).text
        assert SECRET_KEY not in page, path
        assert TOKEN not in page, path


def _position_of_first(page: str) -> str:
    found = re.search(r'<span class="meta">#(\d+) ', page)
    assert found
    return found.group(1)


def test_a_long_conversation_shows_its_newest_exchanges_and_links_to_earlier_ones(
    db: Path,
) -> None:
    async def read() -> list[RecordedEvent]:
        async with open_store(db, create=False) as store:  # sealed words opened
            [stream] = {r.stream_id for r in await store.read_all() if "console:" in r.stream_id}
            return await store.read_stream(stream)

    events = anyio.run(read)
    builder = ContextBuilder.for_prompt("You are a bear.", 5, ContextLimits(10, 4000))
    newest = exchanges(events, builder, dt.UTC, most=2)
    assert [x.message.text for x in newest.shown if x.message] == [
        HOSTILE,
        "remind me in 5 minutes to stretch",
    ]
    assert newest.earlier == newest.shown[0].position
    assert all(x.context is not None for x in newest.shown)
    older = exchanges(events, builder, dt.UTC, before=newest.earlier, most=2)
    assert [x.message.text for x in older.shown if x.message] == [FIRST]
    assert older.earlier is None


def test_a_reply_shows_its_first_text_time_and_its_feedback(db: Path) -> None:
    async def rate_the_first_reply() -> None:
        async with await SqliteEventStore.open(db, SystemClock()) as store:
            delivered = [
                r.event for r in await store.read_all() if isinstance(r.event, ReplyDelivered)
            ]
            first = delivered[0]
            rated = Rateable(reply_to=first.reply_to, model="openai:gpt-5.4-mini")
            box = FeedbackBox(store)
            await box.give(first.platform_message_id, rated, "U0ADA", good=True)
            await box.give(first.platform_message_id, rated, "U0BOB", good=False)

    anyio.run(rate_the_first_reply)
    with TestClient(web_app(db, environ={"OPENAI_API_KEY": SECRET_KEY})) as fresh:
        client = signed_in(fresh)
        page = client.get(f"/conversations/{conversation_key(client)}").text
    assert "feedback 1 good, 1 bad" in page
    assert "(first text " in page  # the console streamed it


def test_the_usage_page_counts_feedback_by_day_and_model(db: Path) -> None:
    async def rate() -> None:
        async with await SqliteEventStore.open(db, SystemClock()) as store:
            rated = Rateable(reply_to="m-1", model="anthropic:claude-sonnet-4-5")
            await FeedbackBox(store).give("C0GEN/1.5", rated, "U0ADA", good=False)

    anyio.run(rate)
    with TestClient(web_app(db, environ={"OPENAI_API_KEY": SECRET_KEY})) as fresh:
        page = signed_in(fresh).get("/usage").text
    row = re.search(
        r"<td>anthropic:claude-sonnet-4-5</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", page
    )
    assert row is not None, page
    assert row.groups() == ("0", "1")


def test_a_person_forgotten_while_the_page_runs_reads_as_forgotten_there(
    client: TestClient, db: Path
) -> None:
    key = conversation_key(client)
    assert FIRST in client.get(f"/conversations/{key}").text
    forgot = lukas_runner(db.parent)("forget", getpass.getuser(), "--yes", "--db", str(db))
    assert forgot.returncode == 0, forgot.stderr
    time.sleep(RECHECK_SECONDS)  # the page's store looks at the keys again after this
    page = client.get(f"/conversations/{key}").text
    assert FIRST not in page
    assert REPLY not in page
    assert "[forgotten]" in page
    assert FIRST not in client.get("/").text
    assert "forgotten)" in client.get("/conversations").text
