"""The chat channel contract, run against every implementation: the fake, the console and
Slack (the real slack-sdk client against the stand-in Slack).

The console runs both ways a person meets it: piped (each reply one block on stdout, blocks
separated by a blank line) and interactive (each reply prefixed "Lukas: "). Each comes with
a driver that reads back what the person saw, so the properties are checked on the output
itself rather than on what the channel says it did.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Protocol

import attrs
import pytest
from fakes.chat_channel import FakeChatChannel
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackError, SlackStandIn
from standins.slack_socket import TEAM_ID

from lukas.adapters.console.channel import ConsoleChannel, as_block
from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.chat_channel import (
    ChatChannel,
    DeliveryError,
    Rateable,
    StreamNotOpenError,
)
from lukas.domain.conversation_key import ConversationKey

pytestmark = pytest.mark.anyio

# Keys every platform can post to: the console prints anything, Slack needs its own kinds.
HERE = ConversationKey.slack_dm("D0ADA:1700000000.000001")
THERE = ConversationKey.slack_thread("C0123", "1700000000.000100")


class Driver(Protocol):
    @property
    def channel(self) -> ChatChannel: ...

    def seen(self) -> list[str]:
        """Every reply text as the person reading the platform sees it, oldest first."""
        ...

    def refuse_next(self) -> bool:
        """Make the platform refuse the next delivery; False if it has no way to refuse."""
        ...


@attrs.frozen
class FakeDriver:
    channel: FakeChatChannel

    def seen(self) -> list[str]:
        return [shown.text for shown in self.channel.shown]

    def refuse_next(self) -> bool:
        self.channel.refuse_next += 1
        return True


@attrs.frozen
class PipedConsoleDriver:
    channel: ConsoleChannel
    out: io.StringIO
    err: io.StringIO

    def seen(self) -> list[str]:
        output = self.out.getvalue()
        assert self.err.getvalue() == "", "replies go to stdout only"
        if not output:
            return []
        assert output.endswith("\n"), output
        return output.removesuffix("\n").split("\n\n")

    def refuse_next(self) -> bool:
        # A terminal takes every write; a closed pipe ends the program (see cli.main).
        return False


@attrs.frozen
class InteractiveConsoleDriver:
    channel: ConsoleChannel
    out: io.StringIO
    err: io.StringIO

    def seen(self) -> list[str]:
        output = self.out.getvalue()
        assert self.err.getvalue() == "", "replies go to stdout only"
        assert output == "" or output.endswith("\n"), output
        replies: list[str] = []
        for line in output.removesuffix("\n").split("\n") if output else []:
            if line.startswith("Lukas: "):
                replies.append(line.removeprefix("Lukas: "))
            else:
                assert replies, f"output before the first reply: {line!r}"
                replies[-1] += "\n" + line
        return replies

    def refuse_next(self) -> bool:
        return False


@attrs.frozen
class SlackDriver:
    channel: SlackWeb
    slack: SlackStandIn
    # The stand-in records every call; these are the ones it answered with an error.
    refused: set[int] = attrs.field(factory=set)

    def seen(self) -> list[str]:
        posted = [
            (c.at, c.markdown_text)
            for n, c in enumerate(self.slack.posted_messages())
            if n not in self.refused
        ]
        streamed = [(s.started_at, s.text) for s in self.slack.streams()]
        return [text for _, text in sorted(posted + streamed)]

    def refuse_next(self) -> bool:
        self.refused.add(len(self.slack.posted_messages()))
        self.slack.fail("chat.postMessage", SlackError("channel_not_found"))
        return True


@pytest.fixture(params=["fake", "console-piped", "console-interactive", "slack"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(FakeChatChannel(streams=True))
        return
    if request.param == "slack":
        slack: SlackStandIn = request.getfixturevalue("slack_standin")
        client = AsyncWebClient(token="xoxb-contract-0123456789", base_url=slack.api_url)
        # No pacing here: it is Slack's courtesy, not part of the contract, and takes seconds.
        yield SlackDriver(SlackWeb(client, team_id=TEAM_ID, min_interval=0), slack)
        return
    out, err = io.StringIO(), io.StringIO()
    interactive = request.param == "console-interactive"
    channel = ConsoleChannel(out, err, interactive=interactive)
    # Conversations begun in this run: their replies are the console's output proper.
    channel.converse_in(HERE)
    channel.converse_in(THERE)
    if interactive:
        yield InteractiveConsoleDriver(channel, out, err)
    else:
        yield PipedConsoleDriver(channel, out, err)


@pytest.mark.parametrize(
    "text",
    [
        "Hello Ada!",
        "Grüße aus Zürich \U0001f43b\U0001f36f — ça va? 你好 👩‍🔬",
        "Here is the plan:\n- pack the nets\n  - and the spare ones\nSee you there.",
        "First paragraph.\n\nSecond paragraph.",
        "**Bold**, *italic*, ~~gone~~, `a < b && c`, [docs](https://x.test/?a=1&b=2)\n\n"
        "```python\nx = 1 * 2  # <tag> & more\n```",
    ],
    ids=["plain", "unicode", "multi-line", "paragraphs", "markdown"],
)
async def test_a_reply_arrives_verbatim_as_one_reply(driver: Driver, text: str) -> None:
    await driver.channel.send_reply(HERE, "m1", "Before.")
    await driver.channel.send_reply(HERE, "m2", text)
    await driver.channel.send_reply(HERE, "m3", "After.")
    expected = as_block(text) if isinstance(driver, PipedConsoleDriver) else text
    assert driver.seen() == ["Before.", expected, "After."]


async def test_nothing_is_seen_before_a_reply_is_sent(driver: Driver) -> None:
    assert driver.seen() == []
    await driver.channel.send_reply(HERE, "m1", "Hi!")
    assert driver.seen() == ["Hi!"]


async def test_every_send_returns_a_distinct_platform_id(driver: Driver) -> None:
    ids = [
        await driver.channel.send_reply(conversation, f"m{n}", "Same words.")
        for n, conversation in enumerate([HERE, HERE, THERE, HERE, THERE])
    ]
    assert all(isinstance(posted, str) and posted.strip() for posted in ids), ids
    assert len(set(ids)) == len(ids), ids
    assert driver.seen() == ["Same words."] * 5


async def test_replies_are_seen_in_the_order_sent_across_conversations(driver: Driver) -> None:
    sends = [(HERE, "a1"), (THERE, "b1"), (THERE, "b2"), (HERE, "a2"), (THERE, "b3")]
    for conversation, text in sends:
        await driver.channel.send_reply(conversation, f"in-{text}", text)
    assert driver.seen() == [text for _, text in sends]


async def test_a_refused_delivery_raises_delivery_error_and_shows_nothing(driver: Driver) -> None:
    await driver.channel.send_reply(HERE, "m1", "Delivered.")
    if not driver.refuse_next():
        pytest.skip("this platform has no way to refuse a delivery")
    with pytest.raises(DeliveryError):
        await driver.channel.send_reply(HERE, "m2", "Refused.")
    await driver.channel.send_reply(HERE, "m3", "Delivered again.")
    assert driver.seen() == ["Delivered.", "Delivered again."]


async def test_a_posted_reply_is_found_by_what_it_answers_or_the_platform_cannot_say(
    driver: Driver,
) -> None:
    """find_reply gives the id send_reply gave, for that message only; a platform with no
    memory of what it showed (a terminal) always says None, never a wrong id."""
    assert await driver.channel.find_reply(HERE, "1700000000.000001") is None
    posted = await driver.channel.send_reply(HERE, "1700000000.000001", "Hello Ada!")
    await driver.channel.send_reply(HERE, "1700000000.000002", "Hello again!")
    await driver.channel.send_reply(THERE, "1700000000.000100", "In the thread")
    found = await driver.channel.find_reply(HERE, "1700000000.000001")
    assert found in (posted, None)
    if isinstance(driver, (FakeDriver, SlackDriver)):  # platforms that remember
        assert found == posted
        assert await driver.channel.find_reply(THERE, "1700000000.000100") is not None
    assert await driver.channel.find_reply(HERE, "1700000000.000009") is None
    assert await driver.channel.find_reply(THERE, "1700000000.000001") is None


async def test_a_streamed_reply_is_seen_as_its_pieces_joined(driver: Driver) -> None:
    """In a thread every platform writes a reply as it comes; the person sees it whole."""
    channel = driver.channel
    assert channel.streams_in(THERE)
    await channel.send_reply(THERE, "m1", "Before.")
    stream = await channel.start_stream(THERE, "1700000000.000200", recipient="U0ADA")
    for piece in ("Honey ", "is **sweet**,", " and bears know it."):
        await channel.append_stream(THERE, stream, piece)
    rated = Rateable(reply_to="m-2", model="openai:gpt-5.4-mini")
    await channel.stop_stream(THERE, stream, "\n\nThe end.", feedback=rated)
    await channel.send_reply(THERE, "m3", "After.")
    expected = "Honey is **sweet**, and bears know it.\n\nThe end."
    if isinstance(driver, PipedConsoleDriver):
        expected = as_block(expected)
    assert driver.seen() == ["Before.", expected, "After."]


async def test_a_closed_stream_takes_no_more_text(driver: Driver) -> None:
    channel = driver.channel
    stream = await channel.start_stream(THERE, "1700000000.000300", recipient="U0ADA")
    await channel.append_stream(THERE, stream, "All said.")
    await channel.stop_stream(THERE, stream, "")
    with pytest.raises(StreamNotOpenError):
        await channel.append_stream(THERE, stream, "One more thing")
    with pytest.raises(StreamNotOpenError):
        await channel.stop_stream(THERE, stream, "And another")
    assert driver.seen() == ["All said."]


async def test_streams_have_distinct_ids_from_each_other_and_from_posts(driver: Driver) -> None:
    channel = driver.channel
    ids = [await channel.send_reply(THERE, "m1", "Posted.")]
    for n in range(2):
        stream = await channel.start_stream(THERE, f"1700000000.00040{n}", recipient="U0ADA")
        await channel.stop_stream(THERE, stream, f"Streamed {n}.")
        ids.append(stream)
    assert len(set(ids)) == 3
