"""The channel poster contract, run against every implementation: the fake, the console and
Slack (the real slack-sdk client against the stand-in Slack).

Each platform comes with a driver that reads back what people see in the channels, so the
properties are checked on that rather than on what the poster says it did. Every driver has
a channel Lukas is in, "bear-facts" (C0BEARS), and, where the platform can have one, a
channel he is not in, "elsewhere" (C0ELSE).

A terminal has no channels: the console prints every post, marked with where it was meant
to go, and never refuses one. It names a channel given by name "#name" and one given by id
by the id, as it has no way to tell that both are the same. The refusal cases skip it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Protocol

import attrs
import pytest
from fakes.channel_poster import FakeChannel, FakeChannelPoster
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackError, SlackStandIn

from lukas.adapters.console.channel import ConsoleChannel
from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.announcements import ChannelNotFound, ChannelPoster, NotInChannel
from lukas.application.ports.chat_channel import DeliveryError

pytestmark = pytest.mark.anyio

BEARS_ID, BEARS = "C0BEARS", "bear-facts"
ELSE_ID, ELSE = "C0ELSE", "elsewhere"
# Each way a caller may name the channel: by id, by name, and by name as people write it.
REFERENCES = {"id": BEARS_ID, "name": BEARS, "#name": f"#{BEARS}"}


class Driver(Protocol):
    @property
    def poster(self) -> ChannelPoster: ...

    def reported(self, reference: str) -> str:
        """The channel the platform reports for a post to `reference` to the bear-facts
        channel: its id where the platform has ids."""
        ...

    def seen(self) -> list[tuple[str, str]]:
        """(channel, text) of every message people see in any channel, oldest first."""
        ...

    def unknown(self, by: str) -> str | None:
        """A reference ("id" or "name") to no channel there is; None if the platform has no
        way to say a channel is unknown."""
        ...

    def not_joined(self, by: str) -> str | None:
        """A reference ("id" or "name") to a channel Lukas is not in; None if the platform
        has no such channels."""
        ...

    def refuse_next(self) -> bool:
        """Make the platform refuse the next post for no reason of the channel's; False if it
        has no way to refuse."""
        ...


@attrs.frozen
class FakeDriver:
    poster: FakeChannelPoster

    def reported(self, reference: str) -> str:
        return BEARS_ID

    def seen(self) -> list[tuple[str, str]]:
        return list(self.poster.posted)

    def unknown(self, by: str) -> str | None:
        return "C0GONE" if by == "id" else "no-such-room"

    def not_joined(self, by: str) -> str | None:
        return ELSE_ID if by == "id" else ELSE

    def refuse_next(self) -> bool:
        self.poster.refuse_next += 1
        return True


# What the console prints for a post: "[in #bear-facts] text" on stderr piped (stdout holds
# only replies), one block a message; "Lukas (in #bear-facts): text" at a terminal.
_PIPED = re.compile(r"\[in (\S+)\] (.*)", re.DOTALL)
_INTERACTIVE = re.compile(r"Lukas \(in (\S+)\): (.*)")
_CONSOLE_ID = re.compile(r"[CG][A-Z0-9]{2,}")


@attrs.frozen
class ConsoleDriver:
    poster: ConsoleChannel
    out: io.StringIO
    err: io.StringIO
    interactive: bool

    def reported(self, reference: str) -> str:
        return reference if _CONSOLE_ID.fullmatch(reference) else f"#{reference.removeprefix('#')}"

    def seen(self) -> list[tuple[str, str]]:
        shown, aside = (self.out, self.err) if self.interactive else (self.err, self.out)
        output = shown.getvalue()
        assert aside.getvalue() == "", "posts go to one stream only"
        if not output:
            return []
        assert output.endswith("\n"), output
        pattern = _INTERACTIVE if self.interactive else _PIPED
        pieces: list[str] = []
        for line in output.removesuffix("\n").split("\n"):
            if line.startswith("Lukas (in " if self.interactive else "[in "):
                pieces.append(line)
            else:  # a post of several lines goes on
                assert pieces, f"output before the first post: {line!r}"
                pieces[-1] += "\n" + line
        seen = []
        for piece in pieces:
            match = pattern.fullmatch(piece)
            assert match, f"not a post: {piece!r}"
            seen.append((match[1], match[2]))
        return seen

    def unknown(self, by: str) -> str | None:
        return None  # a terminal has no channels to look up

    def not_joined(self, by: str) -> str | None:
        return None

    def refuse_next(self) -> bool:
        # A terminal takes every write; a closed pipe ends the program (see cli.main).
        return False


@attrs.frozen
class SlackDriver:
    poster: SlackWeb
    slack: SlackStandIn
    # The stand-in records every call; these are the ones a script answered with an error.
    refused: set[int] = attrs.field(factory=set)
    # Channels the stand-in refuses to post in by its own rules: nothing posted there lands.
    closed: set[str] = attrs.field(factory=set)

    def reported(self, reference: str) -> str:
        return BEARS_ID

    def seen(self) -> list[tuple[str, str]]:
        posted = self.slack.posted_messages()
        return [
            (str(call.args["channel"]), str(call.args["markdown_text"]))
            for n, call in enumerate(posted)
            if n not in self.refused and call.args["channel"] not in self.closed
        ]

    def unknown(self, by: str) -> str | None:
        if by == "name":
            return "no-such-room"
        # An id Slack knows no channel by: one that was deleted.
        self.slack.add_channel("C0GONE", "gone")
        self.slack.remove_channel("C0GONE")
        self.closed.add("C0GONE")
        return "C0GONE"

    def not_joined(self, by: str) -> str | None:
        self.closed.add(ELSE_ID)
        return ELSE_ID if by == "id" else ELSE

    def refuse_next(self) -> bool:
        self.refused.add(len(self.slack.posted_messages()))
        self.slack.fail("chat.postMessage", SlackError("fatal_error"))
        return True


@pytest.fixture(params=["fake", "console-piped", "console-interactive", "slack"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(
            FakeChannelPoster(
                FakeChannel("C0GEN", "general"),
                FakeChannel(BEARS_ID, BEARS),
                FakeChannel(ELSE_ID, ELSE, lukas_is_member=False),
            )
        )
        return
    if request.param == "slack":
        slack: SlackStandIn = request.getfixturevalue("slack_standin")
        slack.add_channel(BEARS_ID, BEARS)
        slack.add_channel(ELSE_ID, ELSE, is_member=False)
        client = AsyncWebClient(token="xoxb-test-token-1234", base_url=slack.api_url)
        # No pacing here: it is Slack's courtesy, not part of the contract, and takes seconds.
        yield SlackDriver(SlackWeb(client, min_interval=0), slack)
        return
    out, err = io.StringIO(), io.StringIO()
    interactive = request.param == "console-interactive"
    yield ConsoleDriver(ConsoleChannel(out, err, interactive=interactive), out, err, interactive)


@pytest.mark.parametrize("by", REFERENCES)
@pytest.mark.parametrize(
    "text",
    [
        "The bear facts for today.",
        "Grüße aus Zürich \U0001f43b\U0001f36f — ça va? 你好 👩‍🔬",
        "**Cake** in the *kitchen* & `a < b`: [menu](https://x.test/?a=1&b=2)",
    ],
    ids=["plain", "unicode", "markdown"],
)
async def test_a_post_reaches_the_channel_however_it_is_named(
    driver: Driver, by: str, text: str
) -> None:
    reference = REFERENCES[by]

    posted = await driver.poster.post_to_channel(reference, text)

    assert posted.channel == driver.reported(reference)
    assert posted.message_id.strip()
    assert driver.seen() == [(posted.channel, text)]


async def test_every_post_gets_its_own_message_id_and_is_seen_in_order(driver: Driver) -> None:
    posts = [(reference, f"Fact {n}.") for n, reference in enumerate(REFERENCES.values())]
    posts += [(BEARS_ID, "Fact 3.")]

    results = [await driver.poster.post_to_channel(ref, text) for ref, text in posts]

    assert len({posted.message_id for posted in results}) == len(posts)
    assert [posted.channel for posted in results] == [driver.reported(ref) for ref, _ in posts]
    assert driver.seen() == [(driver.reported(ref), text) for ref, text in posts]


@pytest.mark.parametrize("by", ["name", "id"])
async def test_an_unknown_channel_is_channel_not_found_and_nothing_is_posted(
    driver: Driver, by: str
) -> None:
    reference = driver.unknown(by)
    if reference is None:
        pytest.skip("this platform has no way to say a channel is unknown")

    with pytest.raises(ChannelNotFound):
        await driver.poster.post_to_channel(reference, "Anyone here?")

    assert driver.seen() == []


@pytest.mark.parametrize("by", ["name", "id"])
async def test_a_channel_lukas_is_not_in_is_not_in_channel_and_nothing_is_posted(
    driver: Driver, by: str
) -> None:
    reference = driver.not_joined(by)
    if reference is None:
        pytest.skip("this platform has no channels Lukas is not in")

    with pytest.raises(NotInChannel):
        await driver.poster.post_to_channel(reference, "Let me in!")
    posted = await driver.poster.post_to_channel(BEARS, "Back where I belong.")

    assert driver.seen() == [(posted.channel, "Back where I belong.")]


async def test_any_other_refusal_is_a_plain_delivery_error(driver: Driver) -> None:
    first = await driver.poster.post_to_channel(BEARS, "Delivered.")
    if not driver.refuse_next():
        pytest.skip("this platform has no way to refuse a post")

    with pytest.raises(DeliveryError) as raised:
        await driver.poster.post_to_channel(BEARS, "Refused.")
    again = await driver.poster.post_to_channel(BEARS, "Delivered again.")

    # Neither subclass: the channel is fine, so the caller may try again later.
    assert not isinstance(raised.value, ChannelNotFound | NotInChannel)
    assert driver.seen() == [(first.channel, "Delivered."), (again.channel, "Delivered again.")]


async def test_a_long_post_arrives_whole_and_in_order(driver: Driver) -> None:
    # One line of numbered words, 9,000 characters: a platform may cut it where it likes
    # between words, and the numbers show the order the pieces arrived in.
    text = " ".join(f"fact{n:04d}" for n in range(1000))
    assert len(text) == 8_999

    posted = await driver.poster.post_to_channel(BEARS, text)

    seen = driver.seen()
    assert {channel for channel, _ in seen} == {posted.channel}
    assert " ".join(piece for _, piece in seen) == text
