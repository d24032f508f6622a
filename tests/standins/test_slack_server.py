"""The Slack stand-in, checked through slack-sdk's real asyncio clients over HTTP and WebSocket.

Clients are built inside each test's running loop and closed there, so nothing they own is
left for the garbage collector to close after the loop is gone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from standins.slack_clients import (
    APP_TOKEN,
    BOT_TOKEN,
    next_request,
    socket_client,
    web_client,
)
from standins.slack_server import (
    SLACKBOT_ID,
    UPLOAD,
    Answer,
    Proceed,
    RateLimited,
    SlackError,
    SlackStandIn,
    Upload,
    app_mention,
    channel_message,
    dm_message,
    next_ts,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def _server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def standin(_server: SlackStandIn) -> Iterator[SlackStandIn]:
    _server.reset()
    yield _server
    _server.reset()


# ---- Web API


async def test_auth_test_answers_for_a_bot_token(standin: SlackStandIn) -> None:
    response = await web_client(standin).auth_test()

    assert response["user_id"] == "U0LUKAS"
    assert response["bot_id"] == "B0LUKAS"
    assert response["team_id"] == "T0TEAM"
    assert [(call.method, call.token) for call in standin.calls()] == [("auth.test", BOT_TOKEN)]


@pytest.mark.parametrize("token", ["xoxp-a-user-token", "xapp-an-app-token", "nonsense"])
async def test_other_tokens_are_refused(standin: SlackStandIn, token: str) -> None:
    client = AsyncWebClient(token=token, base_url=standin.api_url)

    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()

    assert raised.value.response["error"] == "invalid_auth"
    assert raised.value.response.status_code == 200


async def test_connections_open_wants_an_app_token(standin: SlackStandIn) -> None:
    client = web_client(standin)

    with pytest.raises(SlackApiError) as raised:
        await client.apps_connections_open(app_token=BOT_TOKEN)
    first = await client.apps_connections_open(app_token=APP_TOKEN)
    second = await client.apps_connections_open(app_token=APP_TOKEN)

    assert raised.value.response["error"] == "invalid_auth"
    assert first["url"].startswith(standin.root_url.replace("http", "ws") + "/link/?ticket=")
    assert first["url"] != second["url"]
    assert [call.token for call in standin.calls()] == [BOT_TOKEN, APP_TOKEN, APP_TOKEN]


async def test_post_message_returns_increasing_ts_and_is_recorded(standin: SlackStandIn) -> None:
    client = web_client(standin)

    first = await client.chat_postMessage(channel="C0GEN", text="Hello!", thread_ts="1.000001")
    second = await client.chat_postMessage(channel="U0ADA", text="Psst")

    assert float(first["ts"]) < float(second["ts"])
    assert first["channel"] == "C0GEN"
    assert second["channel"] == "D0ADA"  # posting to a user id lands in their DM
    assert first["message"]["text"] == "Hello!"
    assert first["message"]["thread_ts"] == "1.000001"
    assert first["message"]["user"] == "U0LUKAS"
    posted = standin.posted_messages()
    assert [call.args for call in posted] == [
        {"channel": "C0GEN", "text": "Hello!", "thread_ts": "1.000001"},
        {"channel": "U0ADA", "text": "Psst"},
    ]
    assert {call.token for call in posted} == {BOT_TOKEN}


async def test_default_answers_for_the_methods_a_bot_uses(standin: SlackStandIn) -> None:
    standin.add_user("U0ADA", "Ada", real_name="Ada Lovelace")
    client = web_client(standin)

    ada = await client.users_info(user="U0ADA")
    opened = await client.conversations_open(users="U0ADA")
    updated = await client.chat_update(channel="C0GEN", ts="1700000001.000001", text="edited")
    await client.reactions_add(channel="C0GEN", timestamp="1700000001.000001", name="eyes")
    await client.reactions_remove(channel="C0GEN", timestamp="1700000001.000001", name="eyes")
    await client.assistant_threads_setStatus(
        channel_id="D0ADA", thread_ts="1700000001.000001", status="is thinking..."
    )
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0NOBODY")

    assert ada["user"]["id"] == "U0ADA"
    assert ada["user"]["real_name"] == "Ada Lovelace"
    assert ada["user"]["profile"] == {
        "display_name": "Ada",
        "display_name_normalized": "Ada",
        "real_name": "Ada Lovelace",
        "real_name_normalized": "Ada Lovelace",
    }
    assert (ada["user"]["is_bot"], ada["user"]["deleted"]) == (False, False)
    assert "tz" not in ada["user"]  # add_user named no time zone
    assert opened["channel"]["id"] == "D0ADA"
    assert (updated["channel"], updated["ts"], updated["text"]) == (
        "C0GEN",
        "1700000001.000001",
        "edited",
    )
    assert missing.value.response["error"] == "user_not_found"
    # users.info is a GET and reactions.add sends query parameters: both are recorded as args.
    assert standin.calls("users.info")[0].args == {"user": "U0ADA"}
    assert standin.calls("reactions.add")[0].args == {
        "channel": "C0GEN",
        "timestamp": "1700000001.000001",
        "name": "eyes",
    }
    assert standin.calls("assistant.threads.setStatus")[0].args["status"] == "is thinking..."


async def test_scripted_error_then_normal_answers(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", SlackError("not_in_channel"))
    standin.script("chat.postMessage", Answer({"ok": True, "ts": "42.000000", "channel": "C1"}))
    client = web_client(standin)

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GEN", text="Hi")
    scripted = await client.chat_postMessage(channel="C0GEN", text="Hi")
    normal = await client.chat_postMessage(channel="C0GEN", text="Hi")

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "not_in_channel"
    assert scripted["ts"] == "42.000000"
    assert normal["channel"] == "C0GEN"
    assert len(standin.posted_messages()) == 3


async def test_rate_limited_raises_429_without_a_retry_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", RateLimited(retry_after=7))

    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).chat_postMessage(channel="C0GEN", text="Hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"


async def test_rate_limited_is_retried_by_the_rate_limit_handler(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", RateLimited(retry_after=1))
    client = web_client(standin, retry_handlers=[AsyncRateLimitErrorRetryHandler()])

    started = time.monotonic()
    response = await client.chat_postMessage(channel="C0GEN", text="Hi")

    assert response["ok"] is True
    assert time.monotonic() - started >= 1.0  # it honoured Retry-After
    assert len(standin.wait_for_calls("chat.postMessage", 2)) == 2


# ---- conversations.list and its channel table


async def test_the_channel_table_starts_with_general(standin: SlackStandIn) -> None:
    response = await web_client(standin).conversations_list()

    (general,) = response["channels"]
    assert {key: general[key] for key in ("id", "name", "is_general", "is_member")} == {
        "id": "C0GEN",
        "name": "general",
        "is_general": True,
        "is_member": True,
    }
    assert (general["is_channel"], general["is_private"], general["is_archived"]) == (
        True,
        False,
        False,
    )
    assert response["response_metadata"] == {"next_cursor": ""}


async def test_conversations_list_pages_by_cursor(standin: SlackStandIn) -> None:
    for n in range(1, 5):
        standin.add_channel(f"C0ROOM{n}", f"room-{n}")
    client = web_client(standin)

    pages: list[list[str]] = []
    cursors: list[str] = []
    while True:
        response = await client.conversations_list(limit=2, cursor=cursors[-1] if cursors else None)
        pages.append([channel["id"] for channel in response["channels"]])
        cursors.append(response["response_metadata"]["next_cursor"])
        if not cursors[-1]:
            break

    assert pages == [["C0GEN", "C0ROOM1"], ["C0ROOM2", "C0ROOM3"], ["C0ROOM4"]]
    assert cursors[-1] == ""
    # slack-sdk sends the paging arguments as a GET's query string.
    assert [call.args for call in standin.calls("conversations.list")] == [
        {"limit": "2"},
        {"limit": "2", "cursor": cursors[0]},
        {"limit": "2", "cursor": cursors[1]},
    ]


async def test_slack_sdks_own_paging_follows_the_cursor(standin: SlackStandIn) -> None:
    standin.add_channel("C0ROOM1", "room-1")
    standin.add_channel("C0ROOM2", "room-2")

    response = await web_client(standin).conversations_list(limit=1)
    names = [channel["name"] async for page in response for channel in page["channels"]]

    assert names == ["general", "room-1", "room-2"]
    assert len(standin.calls("conversations.list")) == 3


async def test_archived_channels_are_left_out_only_when_asked(standin: SlackStandIn) -> None:
    standin.add_channel("C0OLD", "old-news", is_archived=True)
    standin.add_channel("C0ELSE", "elsewhere", is_member=False)
    client = web_client(standin)

    everything = await client.conversations_list()
    current = await client.conversations_list(
        types="public_channel,private_channel", exclude_archived=True, limit=1
    )
    private_only = await client.conversations_list(types="private_channel")

    assert [c["id"] for c in everything["channels"]] == ["C0GEN", "C0OLD", "C0ELSE"]
    assert [c["is_member"] for c in everything["channels"]] == [True, True, False]
    assert [c["id"] for c in current["channels"]] == ["C0GEN"]
    # The cursor skips the archived channel: the next page starts with C0ELSE.
    following = await client.conversations_list(
        exclude_archived=True, limit=1, cursor=current["response_metadata"]["next_cursor"]
    )
    assert [c["id"] for c in following["channels"]] == ["C0ELSE"]
    assert following["response_metadata"]["next_cursor"] == ""
    assert private_only["channels"] == []  # every channel in the table is public


async def test_a_general_channel_added_takes_the_flag(standin: SlackStandIn) -> None:
    standin.add_channel("C0TOWN", "town-square", is_general=True)
    standin.add_channel("C0GEN", "was-general")  # adding an id again replaces it in place

    channels = (await web_client(standin).conversations_list())["channels"]

    assert [(c["id"], c["name"], c["is_general"]) for c in channels] == [
        ("C0GEN", "was-general", False),
        ("C0TOWN", "town-square", True),
    ]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"cursor": "not a cursor"}, "invalid_cursor"),
        ({"cursor": "Y2hhbm5lbDpDMFVOS05PV04="}, "invalid_cursor"),  # channel:C0UNKNOWN
        ({"limit": "lots"}, "invalid_limit"),
        ({"types": "public_channel,shoutbox"}, "invalid_types"),
    ],
)
async def test_conversations_list_refuses_bad_arguments(
    standin: SlackStandIn, params: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).api_call("conversations.list", http_verb="GET", params=params)

    assert raised.value.response["error"] == error


async def test_reset_restores_the_default_channel_table(standin: SlackStandIn) -> None:
    standin.add_channel("C0TOWN", "town-square", is_general=True)
    standin.reset()

    channels = (await web_client(standin).conversations_list())["channels"]

    assert [(c["id"], c["is_general"]) for c in channels] == [("C0GEN", True)]


# ---- chat.postMessage and the channel table


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C0OLD", "is_archived"), ("C0ELSE", "not_in_channel"), ("C0GONE", "channel_not_found")],
)
async def test_post_message_is_refused_where_a_bot_may_not_post(
    standin: SlackStandIn, channel: str, error: str
) -> None:
    standin.add_channel("C0OLD", "old-news", is_archived=True)
    standin.add_channel("C0ELSE", "elsewhere", is_member=False)
    standin.add_channel("C0GONE", "gone")
    standin.remove_channel("C0GONE")

    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).chat_postMessage(channel=channel, text="Hello?")

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == error
    # Refused, but recorded like any call.
    assert [call.args for call in standin.posted_messages()] == [
        {"channel": channel, "text": "Hello?"}
    ]


async def test_an_archived_channel_refuses_even_a_member(standin: SlackStandIn) -> None:
    standin.add_channel("C0OLD", "old-news", is_archived=True, is_member=True)
    standin.add_channel("C0LOST", "lost-and-archived", is_archived=True, is_member=False)
    client = web_client(standin)

    errors = []
    for channel in ("C0OLD", "C0LOST"):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel=channel, text="Hello?")
        errors.append(raised.value.response["error"])

    assert errors == ["is_archived", "is_archived"]


@pytest.mark.parametrize(
    ("channel", "lands_in"),
    [
        ("C0GEN", "C0GEN"),  # in the table, a member
        ("C0ROOM1", "C0ROOM1"),  # added, a member
        ("C1", "C1"),  # never in the table: accepted, as threads in pushed events need
        ("G0SECRET", "G0SECRET"),
        ("D0ADA", "D0ADA"),
        ("U0ADA", "D0ADA"),
    ],
)
async def test_post_message_lands_everywhere_else(
    standin: SlackStandIn, channel: str, lands_in: str
) -> None:
    standin.add_channel("C0ROOM1", "room-1")
    standin.add_channel("C0ELSE", "elsewhere", is_member=False)

    response = await web_client(standin).chat_postMessage(channel=channel, text="Hi")

    assert (response["ok"], response["channel"]) == (True, lands_in)


async def test_a_scripted_answer_overrides_the_channel_table(standin: SlackStandIn) -> None:
    standin.add_channel("C0ELSE", "elsewhere", is_member=False)
    standin.script("chat.postMessage", Answer({"ok": True, "ts": "42.000000", "channel": "C0ELSE"}))
    client = web_client(standin)

    scripted = await client.chat_postMessage(channel="C0ELSE", text="Hi")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0ELSE", text="Hi")

    assert scripted["ts"] == "42.000000"
    assert raised.value.response["error"] == "not_in_channel"


async def test_post_message_checks_the_channel_before_the_text(standin: SlackStandIn) -> None:
    standin.add_channel("C0ELSE", "elsewhere", is_member=False)
    client = web_client(standin)

    with pytest.raises(SlackApiError) as refused:
        await client.api_call("chat.postMessage", json={"channel": "C0ELSE"})
    with pytest.raises(SlackApiError) as empty:
        await client.api_call("chat.postMessage", json={"channel": "C0GEN"})

    assert refused.value.response["error"] == "not_in_channel"
    assert empty.value.response["error"] == "no_text"


# ---- chat.postMessage with markdown_text


async def test_markdown_text_is_posted_and_recorded_as_sent(standin: SlackStandIn) -> None:
    markdown = "**Bold** and *italic*\n\n```python\nx = 1\n```"

    response = await web_client(standin).chat_postMessage(
        channel="C0GEN", markdown_text=markdown, thread_ts="1.000001"
    )

    assert response["ok"] is True
    assert response["message"]["text"] == markdown
    assert [call.args for call in standin.posted_messages()] == [
        {"channel": "C0GEN", "markdown_text": markdown, "thread_ts": "1.000001"}
    ]


@pytest.mark.parametrize(
    "with_it",
    [{"text": "Hi"}, {"blocks": [{"type": "divider"}]}],
    ids=["text", "blocks"],
)
async def test_markdown_text_with_text_or_blocks_is_refused(
    standin: SlackStandIn, with_it: dict[str, Any]
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).chat_postMessage(channel="C0GEN", markdown_text="Hi", **with_it)

    assert raised.value.response["error"] == "markdown_text_conflict"
    # Refused, but recorded like any call, with both arguments as sent.
    (call,) = standin.posted_messages()
    assert call.args["markdown_text"] == "Hi"
    assert with_it.keys() <= call.args.keys()


async def test_markdown_text_is_taken_up_to_twelve_thousand_characters(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)

    longest = await client.chat_postMessage(channel="C0GEN", markdown_text="🐻" * 12_000)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GEN", markdown_text="x" * 12_001)

    assert longest["ok"] is True
    assert raised.value.response["error"] == "msg_too_long"


async def test_blank_markdown_text_is_no_text(standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).api_call(
            "chat.postMessage", json={"channel": "C0GEN", "markdown_text": ""}
        )

    assert raised.value.response["error"] == "no_text"


async def test_a_removed_channel_leaves_the_listing_until_added_again(
    standin: SlackStandIn,
) -> None:
    for n in range(1, 4):
        standin.add_channel(f"C0ROOM{n}", f"room-{n}")
    client = web_client(standin)
    first = await client.conversations_list(limit=2)  # the cursor points at C0ROOM2

    standin.remove_channel("C0ROOM2")
    with pytest.raises(SlackApiError) as moved:
        await client.conversations_list(limit=2, cursor=first["response_metadata"]["next_cursor"])
    listed = [c["id"] for c in (await client.conversations_list())["channels"]]
    standin.add_channel("C0ROOM2", "room-2-again")
    posted = await client.chat_postMessage(channel="C0ROOM2", text="Back again")

    assert moved.value.response["error"] == "invalid_cursor"
    assert listed == ["C0GEN", "C0ROOM1", "C0ROOM3"]
    assert posted["channel"] == "C0ROOM2"
    with pytest.raises(KeyError):
        standin.remove_channel("C0NEVER")


async def test_reset_forgets_removed_channels(standin: SlackStandIn) -> None:
    standin.remove_channel("C0GEN")
    standin.reset()

    posted = await web_client(standin).chat_postMessage(channel="C0GEN", text="Still here")

    assert posted["channel"] == "C0GEN"


# ---- users.list and the people table


async def list_users(client: AsyncWebClient, limit: int) -> tuple[list[list[str]], list[str]]:
    """Pages through users.list by hand: the ids on each page, and each next_cursor."""
    pages: list[list[str]] = []
    cursors: list[str] = []
    while True:
        response = await client.users_list(limit=limit, cursor=cursors[-1] if cursors else None)
        pages.append([member["id"] for member in response["members"]])
        cursors.append(response["response_metadata"]["next_cursor"])
        if not cursors[-1]:
            return pages, cursors


async def test_every_listing_holds_slackbot_and_the_bot_user(standin: SlackStandIn) -> None:
    response = await web_client(standin).users_list()

    slackbot, lukas = response["members"]
    assert response["response_metadata"] == {"next_cursor": ""}
    assert (slackbot["id"], slackbot["name"], slackbot["real_name"]) == (
        SLACKBOT_ID,
        "slackbot",
        "Slackbot",
    )
    # As real Slack reports it: Slackbot is part of Slack, not a bot user.
    assert (slackbot["is_bot"], slackbot["is_app_user"], slackbot["deleted"]) == (
        False,
        False,
        False,
    )
    assert (lukas["id"], lukas["is_bot"], lukas["deleted"]) == ("U0LUKAS", True, False)
    assert lukas["profile"]["real_name"] == "Lukas the Bear"


async def test_users_list_pages_by_cursor(standin: SlackStandIn) -> None:
    for n in range(1, 4):
        standin.add_user(f"U0P{n}", f"Person {n}")
    client = web_client(standin)

    pages, cursors = await list_users(client, limit=2)

    assert pages == [[SLACKBOT_ID, "U0LUKAS"], ["U0P1", "U0P2"], ["U0P3"]]
    assert cursors[-1] == ""
    assert all(cursors[:-1])
    # slack-sdk sends the paging arguments as a GET's query string.
    assert [call.args for call in standin.calls("users.list")] == [
        {"limit": "2"},
        {"limit": "2", "cursor": cursors[0]},
        {"limit": "2", "cursor": cursors[1]},
    ]


async def test_a_page_that_ends_the_list_exactly_has_an_empty_cursor(
    standin: SlackStandIn,
) -> None:
    standin.add_user("U0P1", "Person 1")
    standin.add_user("U0P2", "Person 2")

    pages, cursors = await list_users(web_client(standin), limit=2)

    assert pages == [[SLACKBOT_ID, "U0LUKAS"], ["U0P1", "U0P2"]]
    # The second page reaches the end exactly: no third call for an empty page.
    assert len(cursors) == 2
    assert cursors[0]
    assert cursors[1] == ""


async def test_slack_sdks_own_paging_follows_the_users_cursor(standin: SlackStandIn) -> None:
    for n in range(1, 6):
        standin.add_user(f"U0P{n}", f"Person {n}")

    response = await web_client(standin).users_list(limit=3)
    ids = [member["id"] async for page in response for member in page["members"]]

    assert ids == [SLACKBOT_ID, "U0LUKAS", "U0P1", "U0P2", "U0P3", "U0P4", "U0P5"]
    assert len(standin.calls("users.list")) == 3


async def test_the_default_page_is_a_hundred_and_the_largest_a_thousand(
    standin: SlackStandIn,
) -> None:
    for n in range(1, 1_100):
        standin.add_user(f"U0P{n:04d}", f"Person {n}")
    client = web_client(standin)

    unasked = await client.users_list()
    too_many = await client.users_list(limit=5_000)

    assert len(unasked["members"]) == 100
    assert len(too_many["members"]) == 1_000
    assert too_many["response_metadata"]["next_cursor"]


async def test_members_are_shaped_like_slacks(standin: SlackStandIn) -> None:
    standin.add_user("U0ADA", "Ada", real_name="Ada Lovelace", timezone="Europe/London")
    standin.add_user("U0OLD", "Old Timer", deleted=True)
    standin.add_user("U0HELPER", "Helper", is_bot=True, name="helper-bot")
    standin.add_user("U0NOTZ", "No Zone")

    members = {m["id"]: m for m in (await web_client(standin).users_list())["members"]}

    assert members["U0ADA"] == {
        "id": "U0ADA",
        "team_id": "T0TEAM",
        "name": "ada",
        "deleted": False,
        "real_name": "Ada Lovelace",
        "tz": "Europe/London",
        "is_bot": False,
        "is_app_user": False,
        "profile": {
            "display_name": "Ada",
            "display_name_normalized": "Ada",
            "real_name": "Ada Lovelace",
            "real_name_normalized": "Ada Lovelace",
        },
    }
    assert (members["U0OLD"]["deleted"], members["U0OLD"]["is_bot"]) == (True, False)
    assert (members["U0HELPER"]["is_bot"], members["U0HELPER"]["name"]) == (True, "helper-bot")
    assert "tz" not in members["U0NOTZ"]


async def test_deactivating_keeps_the_place_and_users_info_tells_the_same(
    standin: SlackStandIn,
) -> None:
    standin.add_user("U0ADA", "Ada", timezone="Europe/London")
    standin.add_user("U0BOB", "Bob")
    standin.add_user("U0ADA", "Ada", timezone="Europe/London", deleted=True)
    client = web_client(standin)

    listed = (await client.users_list())["members"]
    info = (await client.users_info(user="U0ADA"))["user"]

    assert [m["id"] for m in listed] == [SLACKBOT_ID, "U0LUKAS", "U0ADA", "U0BOB"]
    assert listed[2] == info
    assert (info["deleted"], info["tz"]) == (True, "Europe/London")


async def test_a_removed_user_is_gone_and_their_cursor_is_invalid(standin: SlackStandIn) -> None:
    for n in range(1, 4):
        standin.add_user(f"U0P{n}", f"Person {n}")
    client = web_client(standin)
    first = await client.users_list(limit=3)  # the cursor points at U0P2

    standin.remove_user("U0P2")
    with pytest.raises(SlackApiError) as raised:
        await client.users_list(limit=3, cursor=first["response_metadata"]["next_cursor"])
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0P2")
    listed = (await client.users_list())["members"]

    assert raised.value.response["error"] == "invalid_cursor"
    assert missing.value.response["error"] == "user_not_found"
    assert [m["id"] for m in listed] == [SLACKBOT_ID, "U0LUKAS", "U0P1", "U0P3"]
    with pytest.raises(KeyError):
        standin.remove_user("U0P2")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"cursor": "not a cursor"}, "invalid_cursor"),
        ({"cursor": "dXNlcjpVMFVOS05PV04="}, "invalid_cursor"),  # user:U0UNKNOWN
        ({"cursor": "Y2hhbm5lbDpDMEdFTg=="}, "invalid_cursor"),  # channel:C0GEN, a channel's
        ({"limit": "lots"}, "invalid_limit"),
        ({"limit": "-1"}, "invalid_limit"),
    ],
)
async def test_users_list_refuses_bad_arguments(
    standin: SlackStandIn, params: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).api_call("users.list", http_verb="GET", params=params)

    assert raised.value.response["error"] == error


async def test_proceed_lets_a_call_through_before_a_scripted_failure(
    standin: SlackStandIn,
) -> None:
    standin.add_user("U0ADA", "Ada")
    standin.script("users.list", Proceed(), SlackError("internal_error"))
    client = web_client(standin)

    first = await client.users_list(limit=2)
    with pytest.raises(SlackApiError) as raised:
        await client.users_list(limit=2, cursor=first["response_metadata"]["next_cursor"])
    again = await client.users_list(limit=2, cursor=first["response_metadata"]["next_cursor"])

    assert [m["id"] for m in first["members"]] == [SLACKBOT_ID, "U0LUKAS"]
    assert raised.value.response["error"] == "internal_error"
    assert [m["id"] for m in again["members"]] == ["U0ADA"]


async def test_reset_leaves_only_slackbot_and_the_bot_user(standin: SlackStandIn) -> None:
    standin.add_user("U0ADA", "Ada")
    standin.remove_user(SLACKBOT_ID)
    standin.reset()

    listed = (await web_client(standin).users_list())["members"]

    assert [m["id"] for m in listed] == [SLACKBOT_ID, "U0LUKAS"]


# ---- file uploads through files_upload_v2


async def test_files_upload_v2_takes_three_steps_and_the_file_lands_in_the_channel(
    standin: SlackStandIn,
) -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    response = await web_client(standin).files_upload_v2(
        channel="C0GEN",
        content=picture,
        filename="honey.png",
        title="Honey",
        initial_comment="Look *here*",
    )

    (upload,) = standin.uploads()
    assert upload == Upload(
        file_id=upload.file_id,
        filename="honey.png",
        data=picture,
        channel="C0GEN",
        initial_comment="Look *here*",
        title="Honey",
        completed=True,
        length=len(picture),
        uploaded=True,
    )
    assert upload.file_id.startswith("F0")
    assert response["file"] == {"id": upload.file_id, "title": "Honey"}
    assert response["files"] == [response["file"]]
    # The calls as slack-sdk makes them: both API methods carry their arguments in the query
    # string, and the bytes go raw, with no token, to the URL the first call gave out.
    assert [call.method for call in standin.calls()] == [
        "files.getUploadURLExternal",
        UPLOAD,
        "files.completeUploadExternal",
    ]
    get_url, post, complete = standin.calls()
    assert get_url.args == {"filename": "honey.png", "length": str(len(picture))}
    assert get_url.token == BOT_TOKEN
    assert post.args == {
        "file_id": upload.file_id,
        "length": len(picture),
        "content_type": "application/octet-stream",
    }
    assert post.token is None
    assert complete.args == {
        "files": json.dumps([{"id": upload.file_id, "title": "Honey"}]),
        "channel_id": "C0GEN",
        "initial_comment": "Look *here*",
    }
    assert complete.token == BOT_TOKEN


async def test_a_picture_over_a_mebibyte_arrives_whole_and_threads_are_kept(
    standin: SlackStandIn,
) -> None:
    picture = bytes(range(251)) * 12_000  # about 3 MB, past aiohttp's default body limit
    await web_client(standin).files_upload_v2(
        channel="C0GEN", content=picture, filename="big.png", thread_ts="1700000001.000001"
    )

    (upload,) = standin.uploads()
    assert upload.data == picture
    assert upload.title == "big.png"  # slack-sdk sends the file name when no title is given
    assert upload.thread_ts == "1700000001.000001"


async def test_get_upload_url_wants_a_filename_and_a_length(standin: SlackStandIn) -> None:
    client = web_client(standin)
    bad_params: list[dict[str, Any]] = [{"length": 3}, {"filename": "a.png"}, {}]
    bad_params.append({"filename": "a.png", "length": "three"})
    for params in bad_params:
        with pytest.raises(SlackApiError) as raised:
            await client.api_call("files.getUploadURLExternal", params=params)
        assert raised.value.response["error"] == "invalid_arguments"
    assert standin.uploads() == []

    granted = await client.files_getUploadURLExternal(filename="a.png", length=3)
    assert granted["upload_url"] == f"{standin.root_url}/upload/{granted['file_id']}"
    assert standin.uploads()[0].completed is False


async def test_the_upload_url_also_takes_a_multipart_form(standin: SlackStandIn) -> None:
    client = web_client(standin)
    granted = await client.files_getUploadURLExternal(filename="a.png", length=5)
    form = aiohttp.FormData()
    form.add_field("filename", "a.png")
    form.add_field("file", b"bytes", filename="a.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as session,
        session.post(granted["upload_url"], data=form) as posted,
    ):
        answer = (posted.status, await posted.text())

    assert answer == (200, "OK - 5")
    assert standin.uploads()[0].data == b"bytes"
    assert standin.calls(UPLOAD)[0].args["content_type"] == "multipart/form-data"


async def test_completing_a_file_whose_bytes_never_came_fails(standin: SlackStandIn) -> None:
    client = web_client(standin)
    granted = await client.files_getUploadURLExternal(filename="a.png", length=5)

    for file_id in (granted["file_id"], "F0NOSUCHFILE"):
        with pytest.raises(SlackApiError) as raised:
            await client.files_completeUploadExternal(
                files=[{"id": file_id, "title": "A"}], channel_id="C0GEN"
            )
        assert raised.value.response["error"] == "file_not_found"
    assert standin.uploads()[0].completed is False


async def test_a_scripted_failure_to_complete_leaves_the_file_unshared(
    standin: SlackStandIn,
) -> None:
    standin.fail("files.completeUploadExternal", SlackError("not_in_channel"))

    with pytest.raises(SlackApiError) as raised:
        await web_client(standin).files_upload_v2(
            channel="C0ELSEWHERE", content=b"png", filename="a.png", initial_comment="Hi"
        )

    assert raised.value.response["error"] == "not_in_channel"
    (upload,) = standin.uploads()
    assert (upload.data, upload.completed, upload.channel) == (b"png", False, None)


async def test_a_refused_upload_post_stops_files_upload_v2(standin: SlackStandIn) -> None:
    standin.fail(UPLOAD, SlackError("server_error", status=500))

    with pytest.raises(SlackRequestError, match="status: 500"):
        await web_client(standin).files_upload_v2(channel="C0GEN", content=b"png", filename="a.png")

    assert standin.calls("files.completeUploadExternal") == []
    assert standin.uploads()[0].uploaded is False


async def test_reset_forgets_uploads_but_never_reuses_a_file_id(standin: SlackStandIn) -> None:
    client = web_client(standin)
    first = await client.files_upload_v2(channel="C0GEN", content=b"1", filename="a.png")
    standin.reset()
    assert standin.uploads() == []

    second = await client.files_upload_v2(channel="C0GEN", content=b"2", filename="a.png")

    assert first["file"]["id"] != second["file"]["id"]
    assert [upload.data for upload in standin.uploads()] == [b"2"]


# ---- Socket Mode through slack-sdk's client


async def test_a_pushed_event_reaches_the_listener_and_its_ack_is_recorded(
    standin: SlackStandIn,
) -> None:
    async with socket_client(standin) as (_, received):
        assert await standin.wait_for_connections_async(1) == 1
        event = dm_message("Hello, bear!")

        envelope_id = standin.push_event(event)
        request = await next_request(received)
        ack = await standin.wait_for_ack_async(envelope_id)

    assert request.type == "events_api"
    assert request.envelope_id == envelope_id
    assert (request.retry_attempt, request.retry_reason) == (0, "")
    assert request.payload == standin.envelopes()[0]["payload"]
    assert request.payload["event"] == event
    assert request.payload["type"] == "event_callback"
    assert ack == {"envelope_id": envelope_id}
    assert standin.acks() == [envelope_id]


async def test_client_reconnects_after_disconnect_and_gets_the_next_event(
    standin: SlackStandIn,
) -> None:
    async with socket_client(standin) as (_, received):
        await standin.wait_for_connections_async(1)

        standin.send_disconnect()
        await standin.wait_for_connections_async(2)
        envelope_id = standin.push_event(channel_message("Still there?"))
        request = await next_request(received)

    assert request.envelope_id == envelope_id
    assert len(standin.calls("apps.connections.open")) == 2


async def test_client_reconnects_after_a_dropped_connection(standin: SlackStandIn) -> None:
    async with socket_client(standin, ping_interval=0.5) as (_, received):
        await standin.wait_for_connections_async(1)

        standin.drop_connection()
        # slack-sdk notices on its next monitor round, one ping_interval later.
        await standin.wait_for_connections_async(2)
        envelope_id = standin.push_event(app_mention("<@U0LUKAS> you there?"))
        request = await next_request(received)

    assert request.envelope_id == envelope_id
    assert len(standin.calls("apps.connections.open")) == 2


async def test_an_event_pushed_before_the_client_connects_waits_for_it(
    standin: SlackStandIn,
) -> None:
    envelope_id = standin.push_event(dm_message("Early"))

    async with socket_client(standin) as (_, received):
        request = await next_request(received)

    assert request.envelope_id == envelope_id


async def test_malformed_text_does_not_stop_the_server_or_the_client(
    standin: SlackStandIn,
) -> None:
    async with socket_client(standin) as (_, received):
        await standin.wait_for_connections_async(1)

        standin.push_raw("not json at all")
        standin.push_raw('{"half": ')
        standin.push_raw(json.dumps({"type": "events_api", "envelope_id": "no-payload"}))
        envelope_id = standin.push_event(dm_message("After the noise"))
        request = await next_request(received)

    assert request.envelope_id == envelope_id
    assert standin.connections == 1


async def test_pongs_keep_slack_sdks_link_alive(standin: SlackStandIn) -> None:
    # slack-sdk calls a link stale after 4 ping intervals without its own pong coming back.
    async with socket_client(standin, ping_interval=0.2) as (client, _):
        await standin.wait_for_connections_async(1)
        await asyncio.sleep(1.2)

        assert not await client.is_ping_pong_failing()
        assert client.last_ping_pong_time is not None
        assert time.time() - client.last_ping_pong_time < 0.6
    assert standin.connections == 1


# ---- Socket Mode on the wire


async def test_wire_shapes_hello_envelope_pong_and_ack(standin: SlackStandIn) -> None:
    url = (await web_client(standin).apps_connections_open(app_token=APP_TOKEN))["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url, autoping=False) as ws:
        hello = json.loads(await ws.receive_str(timeout=5))
        await ws.ping(b"sdk-ping-pong:123.5")
        pong = await ws.receive(timeout=5)
        event = dm_message("Hi", ts="1700000000.000100")
        envelope_id = standin.push_event(event, envelope_id="env-1", event_id="Ev0FIXED")
        envelope = json.loads(await ws.receive_str(timeout=5))
        await ws.send_str(json.dumps({"envelope_id": envelope_id, "payload": {}}))
        ack = standin.wait_for_ack(envelope_id)

    assert hello == {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {
            "host": "applink-standin",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": "A0LUKAS"},
    }
    assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"sdk-ping-pong:123.5")
    assert envelope == {
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": {
            "token": "standin-verification-token",
            "team_id": "T0TEAM",
            "api_app_id": "A0LUKAS",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev0FIXED",
            "event_time": 1700000000,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": "T0TEAM",
                    "user_id": "U0LUKAS",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": envelope["payload"]["event_context"],
        },
    }
    assert envelope["payload"]["event_context"].startswith("4-")
    assert ack == {"envelope_id": "env-1", "payload": {}}


async def test_wire_disconnect_message(standin: SlackStandIn) -> None:
    url = (await web_client(standin).apps_connections_open(app_token=APP_TOKEN))["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_str(timeout=5)
        standin.send_disconnect("warning")
        disconnect = json.loads(await ws.receive_str(timeout=5))

    assert disconnect == {
        "type": "disconnect",
        "reason": "warning",
        "debug_info": {"host": "applink-standin"},
    }


async def test_unknown_ticket_is_refused(standin: SlackStandIn) -> None:
    url = standin.root_url.replace("http", "ws") + "/link/?ticket=forged"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(url)

    assert raised.value.status == 401
    assert standin.connections == 0


def test_redelivery_keeps_the_event_id_with_a_new_envelope(standin: SlackStandIn) -> None:
    event = dm_message("Once")
    first = standin.push_event(event)
    event_id = standin.envelopes()[0]["payload"]["event_id"]

    second = standin.push_event(event, event_id=event_id, retry_attempt=1, retry_reason="timeout")

    redelivered = standin.envelopes()[1]
    assert first != second
    assert redelivered["payload"]["event_id"] == event_id
    assert (redelivered["retry_attempt"], redelivered["retry_reason"]) == (1, "timeout")


# ---- Event builders


def test_event_builders_produce_slacks_shapes() -> None:
    dm = dm_message("Hi", ts="1700000000.000100")
    reply = channel_message("In thread", thread_ts="1700000000.000100")
    mention = app_mention("<@U0LUKAS> hey", channel="C0RES", user="U0BOB")
    bare = dm_message("No blocks", blocks=None)

    assert dm == {
        "user": "U0ADA",
        "type": "message",
        "ts": "1700000000.000100",
        "client_msg_id": dm["client_msg_id"],
        "text": "Hi",
        "team": "T0TEAM",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": dm["blocks"][0]["block_id"],
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "Hi"}]}
                ],
            }
        ],
        "channel": "D0ADA",
        "event_ts": "1700000000.000100",
        "channel_type": "im",
    }
    assert (reply["channel"], reply["channel_type"]) == ("C0GEN", "channel")
    assert reply["thread_ts"] == "1700000000.000100"
    assert reply["ts"] == reply["event_ts"]
    assert mention["type"] == "app_mention"
    assert (mention["channel"], mention["user"]) == ("C0RES", "U0BOB")
    assert "channel_type" not in mention
    assert "blocks" not in bare


def test_generated_ts_values_increase() -> None:
    values = [dm_message("a")["ts"], next_ts(), channel_message("b")["ts"]]

    assert values == sorted(values)
    assert [float(value) for value in values] == sorted(float(value) for value in values)
    assert len(set(values)) == 3
