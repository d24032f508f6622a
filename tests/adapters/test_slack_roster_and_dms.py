"""SlackWeb's member list and direct messages, through the real AsyncWebClient against the
stand-in Slack: what the contracts leave to Slack (names, Slackbot, odd entries, pieces,
pacing) and that the bot token never shows in an error or a log."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fakes.clock import FakeClock
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import (
    SLACKBOT_ID,
    Answer,
    Proceed,
    RateLimited,
    SlackError,
    SlackStandIn,
)

from lukas.adapters.slack.pieces import split_message
from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.direct_messages import SentDirect
from lukas.application.ports.roster import RosterUnavailable
from lukas.domain.roster import Member

pytestmark = pytest.mark.anyio

LOGGER = "lukas.adapters.slack.web"
TOKEN = "xoxb-test-token-1234"


def web(slack: SlackStandIn, token: str = TOKEN) -> SlackWeb:
    client = AsyncWebClient(token=token, base_url=slack.api_url)
    return SlackWeb(client, min_interval=0)


@contextmanager
def unreachable_web() -> Iterator[SlackWeb]:
    # A port held bound but not listening refuses connections, and no one else can take it.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        # No retry handlers: slack-sdk's default one would retry the refused connection.
        client = AsyncWebClient(
            token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[]
        )
        yield SlackWeb(client, min_interval=0)


def page(*members: Any, next_cursor: str = "") -> Answer:
    """A users.list answer holding exactly `members`, as Slack might send them."""
    return Answer(
        {"ok": True, "members": list(members), "response_metadata": {"next_cursor": next_cursor}}
    )


# ---- list_members: how Slack's fields become a Member


@pytest.mark.parametrize(
    ("user", "name", "real_name"),
    [
        (
            {
                "name": "ada",
                "real_name": "Countess Ada",
                "profile": {"display_name": "Ada", "real_name": "Ada Lovelace"},
            },
            "Ada",
            "Ada Lovelace",
        ),
        (
            {"name": "ada", "profile": {"display_name": "  ", "real_name": "Ada Lovelace"}},
            "Ada Lovelace",
            "Ada Lovelace",
        ),
        (
            {"name": "ada", "real_name": "Ada Lovelace", "profile": {"display_name": ""}},
            "Ada Lovelace",
            "Ada Lovelace",
        ),
        (
            {"name": "ada", "real_name": "Ada Lovelace", "profile": "odd"},
            "Ada Lovelace",
            "Ada Lovelace",
        ),
        ({"name": "ada", "profile": {}}, "ada", "ada"),
        ({"name": " ", "real_name": None}, "U0ADA", "U0ADA"),
        ({"profile": {"display_name": " Ada ", "real_name": " Ada L. "}}, "Ada", "Ada L."),
    ],
    ids=[
        "display-name",
        "blank-display-name",
        "no-profile-real-name",
        "profile-not-an-object",
        "handle-only",
        "nothing-but-the-id",
        "padded",
    ],
)
async def test_names_fall_back_in_order(
    slack_standin: SlackStandIn, user: dict[str, Any], name: str, real_name: str
) -> None:
    slack_standin.script("users.list", page({"id": "U0ADA", **user}))

    (member,) = await web(slack_standin).list_members()

    assert (member.name, member.real_name) == (name, real_name)


async def test_slackbot_is_a_bot_though_slack_lists_it_as_none(
    slack_standin: SlackStandIn,
) -> None:
    listed = {m.member_id: m for m in await web(slack_standin).list_members()}

    # The stand-in, like Slack, says is_bot false for Slackbot (see its own tests).
    assert listed[SLACKBOT_ID] == Member(
        SLACKBOT_ID, "Slackbot", "Slackbot", is_bot=True, timezone="America/Los_Angeles"
    )
    assert not listed[SLACKBOT_ID].reachable
    assert listed["U0LUKAS"].is_bot


@pytest.mark.parametrize(
    ("flags", "is_bot"),
    [
        ({"is_bot": True}, True),
        ({"is_app_user": True}, True),
        ({"is_bot": False, "is_app_user": False}, False),
        ({}, False),
        ({"is_bot": "false"}, False),  # only a JSON true counts
    ],
)
async def test_bots_are_bot_users_and_app_users(
    slack_standin: SlackStandIn, flags: dict[str, Any], is_bot: bool
) -> None:
    slack_standin.script("users.list", page({"id": "U0X", "name": "x", **flags}))

    (member,) = await web(slack_standin).list_members()

    assert member.is_bot is is_bot


@pytest.mark.parametrize(
    ("extra", "timezone", "deleted"),
    [
        ({"tz": "Europe/Berlin"}, "Europe/Berlin", False),
        ({"tz": ""}, None, False),
        ({"tz": 3600}, None, False),
        ({}, None, False),
        ({"deleted": True, "tz": "Asia/Tokyo"}, "Asia/Tokyo", True),
        ({"deleted": "yes"}, None, False),
    ],
)
async def test_time_zones_and_deactivation(
    slack_standin: SlackStandIn, extra: dict[str, Any], timezone: str | None, deleted: bool
) -> None:
    slack_standin.script("users.list", page({"id": "U0X", "name": "x", **extra}))

    (member,) = await web(slack_standin).list_members()

    assert (member.timezone, member.deleted) == (timezone, deleted)


async def test_entries_with_no_member_id_are_skipped_with_one_warning(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.script(
        "users.list",
        page(
            "junk",
            None,
            {"name": "no id"},
            {"id": 7},
            {"id": ""},
            {"id": "U0A", "name": "a"},
            next_cursor="page-2",
        ),
        page(["a", "list"], {"id": "U0B", "name": "b"}),
    )

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        listed = await web(slack_standin).list_members()

    assert [m.member_id for m in listed] == ["U0A", "U0B"]
    assert [call.args.get("cursor") for call in slack_standin.calls("users.list")] == [
        None,
        "page-2",
    ]
    # One warning for the whole listing, counting both pages' odd entries.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["users.list: skipped 6 entries with no member id"]


async def test_a_clean_listing_warns_of_nothing(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.add_user("U0ADA", "Ada")

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        listed = await web(slack_standin).list_members(page_size=1)

    assert [m.member_id for m in listed] == [SLACKBOT_ID, "U0LUKAS", "U0ADA"]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


# ---- list_members: paging and failures


async def test_pages_are_asked_for_by_page_size(slack_standin: SlackStandIn) -> None:
    for n in range(1, 6):
        slack_standin.add_user(f"U0P{n}", f"Person {n}")
    channel = web(slack_standin)

    by_default = await channel.list_members()
    by_three = await channel.list_members(page_size=3)

    assert by_default == by_three
    assert len(by_default) == 7
    limits = [call.args["limit"] for call in slack_standin.calls("users.list")]
    assert limits == ["200", "3", "3", "3"]


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (SlackError("internal_error"), "internal_error"),
        (SlackError("fatal_error", status=500), "fatal_error"),
        # Retried by the client's retry handler in production; this client has none.
        (RateLimited(retry_after=1), "ratelimited"),
    ],
)
async def test_a_failure_on_a_later_page_lists_no_one(
    slack_standin: SlackStandIn, failure: SlackError | RateLimited, code: str
) -> None:
    for n in range(1, 6):
        slack_standin.add_user(f"U0P{n}", f"Person {n}")
    slack_standin.script("users.list", Proceed(), Proceed(), failure)

    with pytest.raises(RosterUnavailable) as raised:
        await web(slack_standin).list_members(page_size=2)

    assert str(raised.value) == f"users.list: {code}"
    assert len(slack_standin.calls("users.list")) == 3


async def test_an_unreachable_slack_is_unavailable() -> None:
    with unreachable_web() as channel, pytest.raises(RosterUnavailable) as raised:
        await channel.list_members()

    assert str(raised.value) == "users.list: ClientConnectorError"


async def test_an_answer_with_no_member_list_is_unavailable(slack_standin: SlackStandIn) -> None:
    slack_standin.script(
        "users.list", page({"id": "U0A"}, next_cursor="more"), Answer({"ok": True})
    )

    with pytest.raises(RosterUnavailable, match=r"users\.list: no_members"):
        await web(slack_standin).list_members()


async def test_a_cursor_handed_out_twice_stops_the_listing(slack_standin: SlackStandIn) -> None:
    slack_standin.script(
        "users.list",
        page({"id": "U0A"}, next_cursor="again"),
        page({"id": "U0B"}, next_cursor="again"),
    )

    with pytest.raises(RosterUnavailable, match=r"users\.list: repeated_cursor"):
        await web(slack_standin).list_members()

    assert len(slack_standin.calls("users.list")) == 2


# ---- send_direct


async def test_a_long_direct_message_goes_in_pieces_to_the_dm(slack_standin: SlackStandIn) -> None:
    text = "\n\n".join(f"Part {n}: " + "honey " * 400 for n in range(4))
    pieces = split_message(text)
    assert len(pieces) > 1
    slack_standin.script(
        "chat.postMessage",
        *(
            Answer({"ok": True, "channel": "D0ADA", "ts": f"1700000100.{n:06d}"})
            for n in range(1, len(pieces) + 1)
        ),
    )

    sent = await web(slack_standin).send_direct("U0ADA", text)

    assert sent == SentDirect(channel="D0ADA", message_id="1700000100.000001")
    assert [call.args for call in slack_standin.calls("conversations.open")] == [{"users": "U0ADA"}]
    assert [call.args for call in slack_standin.posted_messages()] == [
        {"channel": "D0ADA", "markdown_text": piece, "unfurl_links": False} for piece in pieces
    ]


async def test_markdown_is_sent_for_slack_to_render(slack_standin: SlackStandIn) -> None:
    markdown = "**Hello** <team> & *you*: [notes](https://x.org/n?a=1&b=2)\n```\nx = a * b\n```"
    await web(slack_standin).send_direct("U0ADA", markdown)

    (posted,) = slack_standin.posted_messages()
    assert posted.args["markdown_text"] == markdown
    assert "text" not in posted.args


async def test_a_mention_the_model_writes_pings_nobody(slack_standin: SlackStandIn) -> None:
    await web(slack_standin).send_direct("U0ADA", "Tell <@U0BOB> and <!channel>!")

    (posted,) = slack_standin.posted_messages()
    assert posted.args["markdown_text"] == "Tell <\u200d@U0BOB> and <\u200d!channel>!"


async def test_direct_messages_are_paced_per_channel(slack_standin: SlackStandIn) -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock.advance(seconds)

    client = AsyncWebClient(token=TOKEN, base_url=slack_standin.api_url)
    channel = SlackWeb(client, monotonic=clock.monotonic, sleep=sleep)

    await channel.send_direct("U0ADA", "one")
    await channel.send_direct("U0BOB", "elsewhere, no wait")
    clock.advance(0.25)
    await channel.send_direct("U0ADA", "two")

    assert slept == [0.75]
    assert [c.args["channel"] for c in slack_standin.posted_messages()] == [
        "D0ADA",
        "D0BOB",
        "D0ADA",
    ]


@pytest.mark.parametrize("error", ["user_not_found", "user_disabled", "cannot_dm_bot"])
async def test_a_refused_open_posts_nothing(slack_standin: SlackStandIn, error: str) -> None:
    slack_standin.fail("conversations.open", SlackError(error))

    with pytest.raises(DeliveryError) as raised:
        await web(slack_standin).send_direct("U0ADA", "Hello!")

    assert str(raised.value) == f"conversations.open: {error}"
    assert slack_standin.posted_messages() == []


async def test_a_refused_post_names_the_method_and_code(slack_standin: SlackStandIn) -> None:
    slack_standin.fail("chat.postMessage", SlackError("restricted_action"))

    with pytest.raises(DeliveryError) as raised:
        await web(slack_standin).send_direct("U0ADA", "Hello!")

    assert str(raised.value) == "chat.postMessage: restricted_action"


async def test_an_open_with_no_channel_is_a_delivery_error(slack_standin: SlackStandIn) -> None:
    slack_standin.script("conversations.open", Answer({"ok": True, "channel": {}}))

    with pytest.raises(DeliveryError, match=r"conversations\.open: no_channel"):
        await web(slack_standin).send_direct("U0ADA", "Hello!")

    assert slack_standin.posted_messages() == []


@pytest.mark.parametrize("text", ["", "  \n "])
async def test_an_empty_message_is_refused_before_any_call(
    slack_standin: SlackStandIn, text: str
) -> None:
    with pytest.raises(DeliveryError, match=r"chat\.postMessage: no_text"):
        await web(slack_standin).send_direct("U0ADA", text)

    assert slack_standin.calls() == []


async def test_an_unreachable_slack_is_a_delivery_error() -> None:
    with unreachable_web() as channel, pytest.raises(DeliveryError) as raised:
        await channel.send_direct("U0ADA", "Hello!")

    assert str(raised.value) == "conversations.open: ClientConnectorError"


# ---- the token stays secret


async def test_no_token_in_any_error_or_log_record(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "xoxb-0123456789-secret-never-shown"
    user_token = secret.replace("xoxb-", "xoxp-")
    refused = web(slack_standin, token=user_token)  # the stand-in answers invalid_auth
    accepted = web(slack_standin, token=secret)
    errors: list[BaseException] = []

    async def attempt(call: Awaitable[object]) -> None:
        with pytest.raises((RosterUnavailable, DeliveryError)) as raised:
            await call
        errors.append(raised.value)

    # Every logger at DEBUG: slack-sdk's own request logs must not show it either.
    with caplog.at_level(logging.DEBUG):
        await attempt(refused.list_members())
        await attempt(refused.send_direct("U0ADA", "Hi"))
        # Scripted answers come before the token check, so these follow the refusals.
        slack_standin.script("users.list", page("junk", next_cursor="c"), SlackError("oops"))
        await attempt(accepted.list_members())
        slack_standin.fail("conversations.open", SlackError("user_not_found"))
        await attempt(accepted.send_direct("U0ADA", "Hi"))
        slack_standin.fail("chat.postMessage", SlackError("restricted_action"))
        await attempt(accepted.send_direct("U0ADA", "Hi"))

    assert [str(error) for error in errors] == [
        "users.list: invalid_auth",
        "conversations.open: invalid_auth",
        "users.list: oops",
        "conversations.open: user_not_found",
        "chat.postMessage: restricted_action",
    ]
    # The requests went out with the token, and the logs saw them.
    assert {call.token for call in slack_standin.calls()} == {
        secret,
        secret.replace("xoxb", "xoxp"),
    }
    assert any(r.name.startswith("slack_sdk") for r in caplog.records)
    for error in errors:
        assert "secret-never-shown" not in "".join(traceback.format_exception(error))
        assert error.__cause__ is None
    for record in caplog.records:
        assert "secret-never-shown" not in record.getMessage()
        assert "secret-never-shown" not in (record.exc_text or "")
    assert "secret-never-shown" not in caplog.text
