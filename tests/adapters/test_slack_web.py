"""The Slack Web API adapter through the real AsyncWebClient against the stand-in Slack."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackError, SlackStandIn

from lukas.adapters.slack.web import THINKING_REACTION, SlackWeb
from lukas.application.ports.chat_channel import DeliveryError
from lukas.domain.conversation_key import ConversationKey

pytestmark = pytest.mark.anyio

THREAD = ConversationKey.slack_thread("C0GEN", "1700000000.000100")
DM = ConversationKey.slack_dm("D0ADA:1700000000.000001")


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def web(slack: SlackStandIn, time: FakeTime | None = None) -> SlackWeb:
    client = AsyncWebClient(token="xoxb-adapter-0123456789", base_url=slack.api_url)
    if time is None:
        return SlackWeb(client, min_interval=0)
    return SlackWeb(client, monotonic=time.monotonic, sleep=time.sleep)


async def test_posts_are_paced_to_one_a_second_per_channel(slack_standin: SlackStandIn) -> None:
    time = FakeTime()
    channel = web(slack_standin, time)
    await channel.send_reply(THREAD, "1.1", "one")
    await channel.send_reply(DM, "1.2", "elsewhere, no wait")
    time.now += 0.25
    await channel.send_reply(THREAD, "1.3", "two")
    assert time.slept == [0.75]
    assert [c.args["channel"] for c in slack_standin.posted_messages()] == [
        "C0GEN",
        "D0ADA",
        "C0GEN",
    ]


async def test_a_long_reply_is_posted_in_pieces_in_its_thread(slack_standin: SlackStandIn) -> None:
    text = "\n\n".join(f"Part {n}: " + "honey " * 400 for n in range(4))
    posted_id = await web(slack_standin).send_reply(THREAD, "1.1", text)
    posts = slack_standin.posted_messages()
    assert len(posts) > 1
    assert all(c.args["thread_ts"] == "1700000000.000100" for c in posts)
    channel_part, _, ts = posted_id.partition("/")
    assert channel_part == "C0GEN"
    assert float(ts) > 0  # the ts Slack gave the first piece


async def test_thinking_is_a_reaction_on_the_message(slack_standin: SlackStandIn) -> None:
    channel = web(slack_standin)
    await channel.show_thinking(THREAD, "1700000000.000200")
    await channel.stop_thinking(THREAD, "1700000000.000200")
    added, removed = slack_standin.calls("reactions.add"), slack_standin.calls("reactions.remove")
    assert added[0].args == {
        "channel": "C0GEN",
        "timestamp": "1700000000.000200",
        "name": THINKING_REACTION,
    }
    assert removed[0].args == added[0].args


async def test_a_failed_reaction_is_not_an_error(slack_standin: SlackStandIn) -> None:
    slack_standin.fail("reactions.add", SlackError("missing_scope"))
    await web(slack_standin).show_thinking(THREAD, "1.1")


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "ratelimited"])
async def test_a_refused_post_is_a_delivery_error(slack_standin: SlackStandIn, error: str) -> None:
    slack_standin.fail("chat.postMessage", SlackError(error))
    with pytest.raises(DeliveryError, match=error):
        await web(slack_standin).send_reply(THREAD, "1.1", "hello")


async def test_admins_get_a_direct_message_each(slack_standin: SlackStandIn) -> None:
    await web(slack_standin).alert_admins(("U0ADMIN", "U0BOSS"), "check the key")
    opened = [c.args["users"] for c in slack_standin.calls("conversations.open")]
    assert opened == ["U0ADMIN", "U0BOSS"]
    assert [c.args["channel"] for c in slack_standin.posted_messages()] == ["D0ADMIN", "D0BOSS"]
    assert [c.args["markdown_text"] for c in slack_standin.posted_messages()] == [
        "check the key"
    ] * 2


async def test_display_names_come_from_the_profile(slack_standin: SlackStandIn) -> None:
    slack_standin.add_user("U0ADA", "Ada", real_name="Ada Lovelace")
    slack_standin.add_user("U0BOB", "", real_name="Bob Builder")
    channel = web(slack_standin)
    assert await channel.display_name("U0ADA") == "Ada"
    assert await channel.display_name("U0BOB") == "Bob Builder"
    assert await channel.display_name("U0NOBODY") is None
