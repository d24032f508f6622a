"""The direct messages contract, run against the fake and Slack (the real slack-sdk client
against the stand-in Slack).

Each platform comes with a driver that reads back what a person sees in their private
conversation with Lukas, so the properties are checked on that rather than on what the
sender says it did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import attrs
import pytest
from fakes.direct_messages import FakeDirectMessages, channel_of
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackError, SlackStandIn, dm_channel

from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.direct_messages import DirectMessages

pytestmark = pytest.mark.anyio

ADA, BOB = "U0ADA", "U0BOB"


class Driver(Protocol):
    @property
    def direct(self) -> DirectMessages: ...

    def seen_by(self, person_id: str) -> list[tuple[str, str]]:
        """(channel, text) of every DM the person sees from Lukas, oldest first."""
        ...

    def refuse_next(self) -> None:
        """Make the platform refuse the next DM."""
        ...


@attrs.frozen
class FakeDriver:
    direct: FakeDirectMessages

    def seen_by(self, person_id: str) -> list[tuple[str, str]]:
        return [
            (channel_of(person), text) for person, text in self.direct.sent if person == person_id
        ]

    def refuse_next(self) -> None:
        self.direct.refuse_next += 1


@attrs.frozen
class SlackDriver:
    direct: SlackWeb
    slack: SlackStandIn
    # The stand-in records every call; these are the ones it answered with an error.
    refused: set[int] = attrs.field(factory=set)

    def seen_by(self, person_id: str) -> list[tuple[str, str]]:
        posted = self.slack.posted_messages()
        return [
            (str(call.args["channel"]), str(call.args["markdown_text"]))
            for n, call in enumerate(posted)
            if n not in self.refused and call.args["channel"] == dm_channel(person_id)
        ]

    def refuse_next(self) -> None:
        self.refused.add(len(self.slack.posted_messages()))
        self.slack.fail("chat.postMessage", SlackError("restricted_action"))


@pytest.fixture(params=["fake", "slack"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(FakeDirectMessages())
        return
    slack: SlackStandIn = request.getfixturevalue("slack_standin")
    client = AsyncWebClient(token="xoxb-test-token-1234", base_url=slack.api_url)
    # No pacing here: it is Slack's courtesy, not part of the contract, and takes seconds.
    yield SlackDriver(SlackWeb(client, min_interval=0), slack)


@pytest.mark.parametrize(
    "text",
    [
        "How is the fieldwork going?",
        "Grüße aus Zürich \U0001f43b\U0001f36f — ça va? 你好 👩‍🔬",
        "Two things:\n- the samples\n- the deadline\n\nNo rush.",
        "**Two** *things* & `a < b`:\n\n```sh\nls -la | grep '*.csv'\n```",
    ],
    ids=["plain", "unicode", "multi-line", "markdown"],
)
async def test_the_person_sees_the_text_in_the_channel_returned(driver: Driver, text: str) -> None:
    sent = await driver.direct.send_direct(ADA, text)

    assert sent.channel.strip()
    assert sent.message_id.strip()
    assert driver.seen_by(ADA) == [(sent.channel, text)]
    assert driver.seen_by(BOB) == []


async def test_one_channel_a_person_and_an_id_a_message(driver: Driver) -> None:
    first = await driver.direct.send_direct(ADA, "Morning, Ada.")
    other = await driver.direct.send_direct(BOB, "Morning, Bob.")
    second = await driver.direct.send_direct(ADA, "Morning, Ada.")

    assert first.channel == second.channel != other.channel
    assert len({first.message_id, other.message_id, second.message_id}) == 3
    assert [text for _, text in driver.seen_by(ADA)] == ["Morning, Ada.", "Morning, Ada."]
    assert [text for _, text in driver.seen_by(BOB)] == ["Morning, Bob."]


async def test_a_refused_message_raises_delivery_error_and_is_not_seen(driver: Driver) -> None:
    await driver.direct.send_direct(ADA, "Delivered.")

    driver.refuse_next()
    with pytest.raises(DeliveryError):
        await driver.direct.send_direct(ADA, "Refused.")
    await driver.direct.send_direct(ADA, "Delivered again.")

    assert [text for _, text in driver.seen_by(ADA)] == ["Delivered.", "Delivered again."]
