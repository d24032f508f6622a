"""SlackWeb's channel look-up and free-standing reactions, through the real AsyncWebClient
against the stand-in Slack."""

from __future__ import annotations

import logging
import socket

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import Answer, RateLimited, SlackError, SlackStandIn

from lukas.adapters.slack.web import SlackWeb

pytestmark = pytest.mark.anyio

LOGGER = "lukas.adapters.slack.web"


def web(slack: SlackStandIn) -> SlackWeb:
    client = AsyncWebClient(token="xoxb-adapter-0123456789", base_url=slack.api_url)
    return SlackWeb(client, min_interval=0)


def add_rooms(slack: SlackStandIn, count: int) -> None:
    for n in range(1, count + 1):
        slack.add_channel(f"C0ROOM{n}", f"room-{n}")


# ---- resolve_channels


async def test_ids_pass_through_with_no_call(slack_standin: SlackStandIn) -> None:
    resolved = await web(slack_standin).resolve_channels(["C0GEN", "G0SECRET", "D0ADA", "#C0HASH"])

    assert resolved == {
        "C0GEN": "C0GEN",
        "G0SECRET": "G0SECRET",
        "D0ADA": "D0ADA",
        "#C0HASH": "C0HASH",
    }
    assert slack_standin.calls() == []


async def test_names_resolve_across_pages_in_one_listing(slack_standin: SlackStandIn) -> None:
    add_rooms(slack_standin, 6)

    resolved = await web(slack_standin).resolve_channels(
        ["#room-2", "room-5", "C0ELSE", "Room-1"], page_size=2
    )

    # In the order given, each entry as it was written.
    assert list(resolved.items()) == [
        ("#room-2", "C0ROOM2"),
        ("room-5", "C0ROOM5"),
        ("C0ELSE", "C0ELSE"),
        ("Room-1", "C0ROOM1"),
    ]
    listed = slack_standin.calls("conversations.list")
    # Pages of 2 from [general, room-1, ..., room-6]: room-5 is on the third; no fourth call.
    assert len(listed) == 3
    assert listed[0].args == {
        "types": "public_channel,private_channel",
        "exclude_archived": "1",
        "limit": "2",
    }
    # Each later page is asked for with a cursor; finding room-5 shows they were followed.
    cursors = [call.args.get("cursor") for call in listed]
    assert cursors[0] is None
    assert all(cursors[1:])
    assert len(set(cursors[1:])) == 2


async def test_the_default_page_is_two_hundred(slack_standin: SlackStandIn) -> None:
    await web(slack_standin).resolve_channels(["general"])

    (listed,) = slack_standin.calls("conversations.list")
    assert listed.args["limit"] == "200"


@pytest.mark.parametrize("entry", ["general", "#general"])
async def test_general_means_the_general_channel_whatever_its_name(
    slack_standin: SlackStandIn, entry: str
) -> None:
    add_rooms(slack_standin, 3)
    # The old general channel lost its role and its name went to an ordinary channel.
    slack_standin.add_channel("C0TOWN", "town-square", is_general=True)
    slack_standin.add_channel("C0GEN", "general")

    resolved = await web(slack_standin).resolve_channels([entry], page_size=2)

    assert resolved == {entry: "C0TOWN"}


async def test_an_unknown_name_is_absent_and_logged(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    add_rooms(slack_standin, 2)
    slack_standin.add_channel("C0OLD", "old-news", is_archived=True)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        resolved = await web(slack_standin).resolve_channels(
            ["room-1", "#no-such-room", "old-news"], page_size=1
        )

    assert resolved == {"room-1": "C0ROOM1"}
    # Archived channels are not listed, so an archived one counts as unknown.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["Slack channels not found: #no-such-room, old-news"]
    assert len(slack_standin.calls("conversations.list")) == 3  # the whole list, once


async def test_a_failed_listing_keeps_ids_and_reports_the_names(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # The first page comes back; the second is refused (429 is retried only with a handler).
    first_page = {"id": "C0ROOM1", "name": "room-1", "is_general": False}
    slack_standin.script(
        "conversations.list",
        Answer({"ok": True, "channels": [first_page], "response_metadata": {"next_cursor": "x"}}),
        RateLimited(retry_after=1),
    )

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        resolved = await web(slack_standin).resolve_channels(["C0GEN", "room-1", "room-3"])

    assert resolved == {"C0GEN": "C0GEN", "room-1": "C0ROOM1"}
    assert [call.args.get("cursor") for call in slack_standin.calls("conversations.list")] == [
        None,
        "x",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "conversations.list failed: ratelimited",
        "Slack channels not found: room-3",
    ]


# ---- add_reaction


@pytest.mark.parametrize("emoji", ["bear", ":bear:"])
async def test_a_reaction_is_added_to_the_message(slack_standin: SlackStandIn, emoji: str) -> None:
    added = await web(slack_standin).add_reaction("C0GEN", "1700000000.000300", emoji)

    assert added is True
    (call,) = slack_standin.calls("reactions.add")
    assert call.args == {"channel": "C0GEN", "timestamp": "1700000000.000300", "name": "bear"}


@pytest.mark.parametrize("error", ["already_reacted", "message_not_found"])
async def test_a_refused_reaction_is_false_and_logged(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    slack_standin.fail("reactions.add", SlackError(error))

    with caplog.at_level(logging.INFO, logger=LOGGER):
        added = await web(slack_standin).add_reaction("C0GEN", "1700000000.000300", "bear")

    assert added is False
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.INFO
    assert error in record.getMessage()


async def test_an_unreachable_slack_is_false_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A port held bound but not listening refuses connections, and no one else can take it.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        # No retry handlers: slack-sdk's default one would retry the refused connection.
        client = AsyncWebClient(
            token="xoxb-adapter-0123456789",
            base_url=f"http://127.0.0.1:{port}/api/",
            retry_handlers=[],
        )
        with caplog.at_level(logging.INFO, logger=LOGGER):
            added = await SlackWeb(client, min_interval=0).add_reaction("C0GEN", "1.1", "bear")

    assert added is False
    assert "ClientConnectorError" in caplog.text
