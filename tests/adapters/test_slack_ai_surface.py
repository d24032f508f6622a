"""Slack's AI-app surface through the real AsyncWebClient against the stand-in Slack: the
feedback buttons under a reply (posted or streamed) read back from a click, the assistant
pane's greeting, prompts, title and thinking status. What every channel does with streams
is in contracts/test_chat_channel_contract.py."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackStandIn
from standins.slack_socket import TEAM_ID

from lukas.adapters.slack.assistant import SlackAssistant
from lukas.adapters.slack.events import FeedbackClick, Ignored, read_interaction
from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.chat_channel import DeliveryError, Rateable
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.persona import THINKING_STATUS

pytestmark = pytest.mark.anyio

TOKEN = "xoxb-test-token-1234"
THREAD = ConversationKey.slack_thread("C0GEN", "1700000000.000100")
PANE = ConversationKey.slack_thread("D0ADA", "1700000000.000500")
RATED = Rateable(reply_to="5f0c6a1e-0b7d-5b8e-9a1c-2f4c2a1b7e10", model="openai:gpt-5.4-mini")


def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.api_url)


def web(slack: SlackStandIn) -> SlackWeb:
    return SlackWeb(client(slack), team_id=TEAM_ID, min_interval=0)


def clicked(slack: SlackStandIn, channel: str, ts: str, *, positive: bool) -> FeedbackClick:
    slack.click_feedback(channel, ts, positive=positive, user="U0BOB")
    read = read_interaction(slack.envelopes()[-1]["payload"])
    assert isinstance(read, FeedbackClick), read
    return read


async def test_a_click_under_a_posted_reply_names_the_reply_and_its_model(
    slack_standin: SlackStandIn,
) -> None:
    posted = await web(slack_standin).send_reply(THREAD, "1700000000.000100", "Hi!", feedback=RATED)
    channel, ts = posted.split("/")
    good = clicked(slack_standin, channel, ts, positive=True)
    bad = clicked(slack_standin, channel, ts, positive=False)
    assert (good.good, bad.good) == (True, False)
    assert good.reply == bad.reply == RATED
    assert (good.user, good.platform_message_id) == ("U0BOB", posted)
    [post] = slack_standin.posted_messages()
    assert post.markdown_text == "Hi!"  # the Markdown still rendered, in a markdown block


async def test_a_click_under_a_streamed_reply_names_it_too(slack_standin: SlackStandIn) -> None:
    slack = web(slack_standin)
    stream = await slack.start_stream(THREAD, "1700000000.000100", recipient="U0ADA")
    await slack.append_stream(THREAD, stream, "Streamed ")
    await slack.stop_stream(THREAD, stream, "answer", feedback=RATED)
    channel, ts = stream.split("/")
    click = clicked(slack_standin, channel, ts, positive=True)
    assert click.reply == RATED
    assert click.platform_message_id == stream
    [shown] = slack_standin.streams()
    assert (shown.text, shown.recipient_team_id) == ("Streamed answer", TEAM_ID)


async def test_other_interactions_are_ignored_with_a_reason() -> None:
    assert isinstance(read_interaction({"type": "view_submission"}), Ignored)
    assert isinstance(read_interaction("not an object"), Ignored)
    foreign = {
        "type": "block_actions",
        "actions": [{"action_id": "lukas_feedback", "value": "good|only-two"}],
        "user": {"id": "U0BOB"},
        "container": {"message_ts": "1.2", "channel_id": "C0GEN"},
    }
    read = read_interaction(foreign)
    assert isinstance(read, Ignored)
    assert read.reason.startswith("malformed")


async def test_a_new_pane_thread_is_greeted_with_its_prompts_and_titled(
    slack_standin: SlackStandIn,
) -> None:
    pane = SlackAssistant(client(slack_standin))
    await pane.greet(PANE, "Hi, I'm Lukas", ["Tell me a bear fact", "Cheer me up"])
    await pane.set_title(PANE, "Bear facts")
    thread = slack_standin.assistant_thread("D0ADA", "1700000000.000500")
    assert thread is not None
    assert [prompt["message"] for prompt in thread.prompts] == [
        "Tell me a bear fact",
        "Cheer me up",
    ]
    assert thread.title == "Bear facts"
    [greeting] = slack_standin.posted_messages()
    assert (greeting.markdown_text, greeting.args["thread_ts"]) == (
        "Hi, I'm Lukas",
        "1700000000.000500",
    )


async def test_thinking_in_the_pane_is_a_status_and_elsewhere_a_reaction(
    slack_standin: SlackStandIn,
) -> None:
    slack = web(slack_standin)
    await slack.show_thinking(PANE, "1700000000.000600")
    thread = slack_standin.assistant_thread("D0ADA", "1700000000.000500")
    assert thread is not None
    assert thread.status == THINKING_STATUS
    assert thread.loading_messages
    await slack.stop_thinking(PANE, "1700000000.000600")
    cleared = slack_standin.assistant_thread("D0ADA", "1700000000.000500")
    assert cleared is not None
    assert not cleared.status  # cleared
    await slack.show_thinking(THREAD, "1700000000.000100")
    assert [c.method for c in slack_standin.calls() if c.method.startswith("reactions.")] == [
        "reactions.add"
    ]


async def test_the_pane_refusing_is_a_delivery_error(slack_standin: SlackStandIn) -> None:
    pane = SlackAssistant(client(slack_standin))
    with pytest.raises(DeliveryError):
        await pane.set_title(THREAD, "not a pane thread")
