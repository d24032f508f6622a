"""SlackWeb.post_to_channel's Slack-specific ways, through the real AsyncWebClient against the
stand-in Slack. What every channel poster does is in contracts/test_channel_poster_contract.py.
"""

from __future__ import annotations

import logging
import traceback

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import Answer, RateLimited, SlackError, SlackStandIn

from lukas.adapters.slack.pieces import MAX_MESSAGE
from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.announcements import ChannelNotFound, NotInChannel
from lukas.application.ports.chat_channel import DeliveryError

pytestmark = pytest.mark.anyio

TOKEN = "xoxb-test-token-1234"


def web(slack: SlackStandIn) -> SlackWeb:
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
    return SlackWeb(client, min_interval=0)


def posted_to(slack: SlackStandIn) -> list[str]:
    return [str(call.args["channel"]) for call in slack.posted_messages()]


@pytest.mark.parametrize(
    "entry",
    [
        "general",
        "#general",
        "General",
        "#GENERAL",
    ],
)
async def test_general_is_the_workspaces_general_channel_even_renamed(
    slack_standin: SlackStandIn, entry: str
) -> None:
    # The general channel was renamed, and its old name went to an ordinary channel.
    slack_standin.add_channel("C0TOWN", "town-square", is_general=True)
    slack_standin.add_channel("C0GEN", "general")

    posted = await web(slack_standin).post_to_channel(entry, "Morning, everyone.")

    assert posted.channel == "C0TOWN"
    assert posted_to(slack_standin) == ["C0TOWN"]


@pytest.mark.parametrize(
    ("entry", "channel_id"),
    [
        ("Bear-Facts", "C0BEARS"),
        ("#BEAR-FACTS", "C0BEARS"),
        (" #bear-facts ", "C0BEARS"),
        ("#Campfire", "C0CAMP"),
        ("CAMPFIRE", "C0CAMP"),
    ],
)
async def test_names_are_found_whatever_their_case(
    slack_standin: SlackStandIn, entry: str, channel_id: str
) -> None:
    slack_standin.add_channel("C0BEARS", "bear-facts")
    slack_standin.add_channel("C0CAMP", "campfire")

    posted = await web(slack_standin).post_to_channel(entry, "Bears can smell honey miles away.")

    assert posted.channel == channel_id
    assert posted_to(slack_standin) == [channel_id]


async def test_an_archived_channel_by_id_is_channel_not_found(
    slack_standin: SlackStandIn,
) -> None:
    slack_standin.add_channel("C0OLD", "old-news", is_archived=True)

    with pytest.raises(ChannelNotFound) as raised:
        await web(slack_standin).post_to_channel("C0OLD", "Is this thing on?")

    # Slack was asked and said why: the channel is archived.
    assert "is_archived" in str(raised.value)
    assert posted_to(slack_standin) == ["C0OLD"]


@pytest.mark.parametrize("entry", ["old-news", "#old-news"])
async def test_an_archived_channel_by_name_is_channel_not_found_with_no_post(
    slack_standin: SlackStandIn, entry: str
) -> None:
    slack_standin.add_channel("C0OLD", "old-news", is_archived=True)

    with pytest.raises(ChannelNotFound):
        await web(slack_standin).post_to_channel(entry, "Is this thing on?")

    # Archived channels are not listed, so there was no id to post to.
    assert slack_standin.posted_messages() == []


@pytest.mark.parametrize(
    "refusal",
    [
        SlackError("ratelimited"),
        RateLimited(retry_after=1),  # HTTP 429; slack-sdk retries it only with a handler
        SlackError("fatal_error"),
        SlackError("restricted_action"),
        SlackError("msg_too_long"),
    ],
    ids=["ratelimited", "http-429", "fatal_error", "restricted_action", "msg_too_long"],
)
async def test_other_refusals_are_plain_delivery_errors_with_slacks_code(
    slack_standin: SlackStandIn, refusal: SlackError | RateLimited
) -> None:
    slack_standin.fail("chat.postMessage", refusal)

    with pytest.raises(DeliveryError) as raised:
        await web(slack_standin).post_to_channel("general", "Announcement.")

    assert not isinstance(raised.value, ChannelNotFound | NotInChannel)
    code = refusal.error if isinstance(refusal, SlackError) else "ratelimited"
    assert str(raised.value) == f"chat.postMessage: {code}"


async def test_a_long_post_goes_in_pieces_in_order_and_returns_the_first(
    slack_standin: SlackStandIn,
) -> None:
    slack_standin.add_channel("C0BEARS", "bear-facts")
    text = " ".join(f"fact{n:04d}" for n in range(1000))  # 8,999 characters
    slack_standin.script(
        "chat.postMessage",
        *(Answer({"ok": True, "channel": "C0BEARS", "ts": f"1700000300.00000{n}"}) for n in (1, 2)),
    )

    posted = await web(slack_standin).post_to_channel("bear-facts", text)

    calls = slack_standin.posted_messages()
    pieces = [str(call.args["markdown_text"]) for call in calls]
    assert len(pieces) == 3
    assert all(len(piece) <= MAX_MESSAGE for piece in pieces)
    assert " ".join(pieces) == text
    # Each piece a message of its own in the channel, none in a thread.
    assert {(call.args["channel"], call.args.get("thread_ts")) for call in calls} == {
        ("C0BEARS", None)
    }
    assert posted.message_id == "1700000300.000001"


@pytest.mark.parametrize(
    ("entry", "setup"),
    [
        ("no-such-room", None),
        ("elsewhere", None),
        ("C0OLD", None),
        ("C0GONE", None),
        ("general", ("chat.postMessage", SlackError("fatal_error"))),
        ("general", ("chat.postMessage", RateLimited(retry_after=1))),
        ("general", ("conversations.list", SlackError("invalid_auth"))),
    ],
    ids=[
        "unknown-name",
        "not-in-channel",
        "archived",
        "removed",
        "refused",
        "rate-limited",
        "listing-refused",
    ],
)
async def test_no_failure_shows_the_token(
    slack_standin: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    entry: str,
    setup: tuple[str, SlackError | RateLimited] | None,
) -> None:
    slack_standin.add_channel("C0ELSE", "elsewhere", is_member=False)
    slack_standin.add_channel("C0OLD", "old-news", is_archived=True)
    slack_standin.add_channel("C0GONE", "gone")
    slack_standin.remove_channel("C0GONE")
    if setup is not None:
        slack_standin.fail(*setup)

    # Everything any logger says, slack-sdk's request and response dumps included.
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as raised:
        await web(slack_standin).post_to_channel(entry, "Announcement.")

    told = [
        str(raised.value),
        repr(raised.value),
        "".join(traceback.format_exception(raised.value)),
        caplog.text,
        *(str(record.args) for record in caplog.records),
    ]
    assert caplog.records, "the failure went unlogged, so the check below proves nothing"
    for text in told:
        assert TOKEN not in text
        assert "test-token-1234" not in text
    # The stand-in did see the token: it was there to leak.
    assert {call.token for call in slack_standin.calls()} == {TOKEN}


async def test_a_failed_channel_listing_is_slack_being_busy_not_a_missing_channel(
    slack_standin: SlackStandIn,
) -> None:
    slack_standin.fail("conversations.list", SlackError("internal_error"))
    with pytest.raises(DeliveryError) as raised:
        await web(slack_standin).post_to_channel("#general", "Morning!")
    assert not isinstance(raised.value, ChannelNotFound)
    assert str(raised.value) == "conversations.list: internal_error"
    assert slack_standin.posted_messages() == []
