"""The AI-app surface of the Slack stand-in, through slack-sdk's real clients: the
assistant.threads methods over HTTP, and assistant thread events and feedback button clicks
over Socket Mode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from standins.slack_clients import next_request, socket_client, web_client
from standins.slack_server import (
    RESPONSE_URL,
    AssistantThread,
    SlackError,
    SlackStandIn,
    assistant_thread_context_changed,
    assistant_thread_started,
    dm_message,
    feedback_click,
)

pytestmark = pytest.mark.anyio

THREAD = "1700000000.000123"
PROMPTS = [
    {"title": "Plan a picnic", "message": "Help me plan a picnic by the river."},
    {"title": "Honey facts", "message": "Tell me something about honey."},
]
FEEDBACK = [
    {
        "type": "context_actions",
        "block_id": "lukas_feedback",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": "reply_feedback",
                "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
                "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "down"},
            }
        ],
    }
]


@pytest.fixture(scope="module")
def _server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def standin(_server: SlackStandIn) -> Iterator[SlackStandIn]:
    _server.reset()
    yield _server
    _server.reset()


async def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        await call
    data: dict[str, Any] = raised.value.response.data
    return data


# ---- assistant.threads.*


async def test_set_status_shows_on_the_thread_with_its_loading_messages(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)

    await client.assistant_threads_setStatus(
        channel_id="D0ADA",
        thread_ts=THREAD,
        status="is thinking...",
        loading_messages=["Sniffing the air...", "Checking the honey pot..."],
    )

    assert standin.assistant_thread("D0ADA", THREAD) == AssistantThread(
        "D0ADA",
        THREAD,
        status="is thinking...",
        loading_messages=("Sniffing the air...", "Checking the honey pot..."),
    )
    (call,) = standin.calls("assistant.threads.setStatus")
    assert call.args["loading_messages"] == ["Sniffing the air...", "Checking the honey pot..."]
    assert standin.assistant_thread("D0ADA", "1700000000.000999") is None


async def test_an_empty_status_or_a_reply_in_the_thread_takes_the_status_down(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    other = "1700000000.000456"
    await client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts=THREAD, status="hm")
    await client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts=other, status="hm")
    await client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts="1.5", status="hm")

    await client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts=THREAD, status="")
    await client.chat_postMessage(channel="D0ADA", thread_ts=other, text="Here you go.")
    await client.chat_startStream(channel="D0ADA", thread_ts="1.5")

    for thread in (THREAD, other, "1.5"):
        shown = standin.assistant_thread("D0ADA", thread)
        assert shown is not None
        assert shown.status is None


async def test_set_status_wants_every_documented_field(standin: SlackStandIn) -> None:
    client = web_client(standin)
    method = "assistant.threads.setStatus"

    no_status = await error_of(
        client.api_call(method, json={"channel_id": "D0ADA", "thread_ts": THREAD})
    )
    no_thread = await error_of(client.api_call(method, json={"channel_id": "D0ADA", "status": "x"}))
    no_channel = await error_of(client.api_call(method, json={"thread_ts": THREAD, "status": "x"}))

    assert no_status["response_metadata"]["messages"] == ["[ERROR] missing required field: status"]
    assert no_thread["response_metadata"]["messages"] == [
        "[ERROR] missing required field: thread_ts"
    ]
    assert no_channel["error"] == "invalid_arguments"


async def test_set_status_refuses_eleven_loading_messages_and_a_bad_thread(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)

    eleven = await error_of(
        client.assistant_threads_setStatus(
            channel_id="D0ADA", thread_ts=THREAD, status="x", loading_messages=["..."] * 11
        )
    )
    bad_thread = await error_of(
        client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts="yesterday", status="x")
    )

    assert eleven["error"] == "invalid_arguments"
    assert bad_thread == {"ok": False, "error": "invalid_thread_ts", "detail": "Thread not found"}
    assert standin.assistant_thread("D0ADA", THREAD) is None


async def test_suggested_prompts_show_on_the_thread(standin: SlackStandIn) -> None:
    client = web_client(standin)

    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D0ADA", thread_ts=THREAD, prompts=PROMPTS, title="Try asking"
    )

    shown = standin.assistant_thread("D0ADA", THREAD)
    assert shown is not None
    assert shown.prompts == tuple(PROMPTS)
    assert shown.prompts_title == "Try asking"
    assert standin.calls("assistant.threads.setSuggestedPrompts")[0].args["prompts"] == PROMPTS


async def test_suggested_prompts_are_checked_as_slack_documents(standin: SlackStandIn) -> None:
    client = web_client(standin)

    five = await error_of(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D0ADA", thread_ts=THREAD, prompts=PROMPTS * 2 + PROMPTS[:1]
        )
    )
    no_message = await error_of(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D0ADA", thread_ts=THREAD, prompts=[{"title": "Only a title"}]
        )
    )
    none = await error_of(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D0ADA", thread_ts=THREAD, prompts=[]
        )
    )
    no_thread = await error_of(
        client.assistant_threads_setSuggestedPrompts(channel_id="D0ADA", prompts=PROMPTS)
    )

    assert {five["error"], no_message["error"], none["error"]} == {"invalid_arguments"}
    assert no_thread["response_metadata"]["messages"] == [
        "[ERROR] missing required field: thread_ts"
    ]


async def test_set_title_arrives_as_query_parameters_and_shows_on_the_thread(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)

    await client.assistant_threads_setTitle(channel_id="D0ADA", thread_ts=THREAD, title="Picnic")
    missing = await error_of(
        client.api_call("assistant.threads.setTitle", params={"channel_id": "D0ADA"})
    )

    shown = standin.assistant_thread("D0ADA", THREAD)
    assert shown is not None
    assert shown.title == "Picnic"
    assert standin.calls("assistant.threads.setTitle")[0].args == {
        "channel_id": "D0ADA",
        "thread_ts": THREAD,
        "title": "Picnic",
    }
    assert missing["error"] == "invalid_arguments"


async def test_assistant_methods_fail_when_scripted_or_in_a_deleted_channel(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    standin.fail("assistant.threads.setStatus", SlackError("internal_error"))
    standin.add_channel("C0GONE", "gone")
    standin.remove_channel("C0GONE")

    scripted = await error_of(
        client.assistant_threads_setStatus(channel_id="D0ADA", thread_ts=THREAD, status="x")
    )
    gone = await error_of(
        client.assistant_threads_setTitle(channel_id="C0GONE", thread_ts=THREAD, title="x")
    )

    assert scripted["error"] == "internal_error"
    assert gone == {"ok": False, "error": "channel_not_found", "detail": "Invalid channel_id"}


# ---- Socket Mode: assistant thread events


async def test_assistant_thread_events_arrive_in_events_api_envelopes(
    standin: SlackStandIn,
) -> None:
    started = assistant_thread_started(thread_ts=THREAD, context_channel="C0GEN")
    changed = assistant_thread_context_changed(thread_ts=THREAD, context_channel="C0RIVER")

    async with socket_client(standin) as (_, received):
        first_id = standin.push_event(started)
        second_id = standin.push_event(changed)
        first = await next_request(received)
        second = await next_request(received)
        await standin.wait_for_ack_async(second_id)

    assert (first.type, first.envelope_id) == ("events_api", first_id)
    event = first.payload["event"]
    assert event["type"] == "assistant_thread_started"
    assert event["assistant_thread"] == {
        "user_id": "U0ADA",
        "context": {"channel_id": "C0GEN", "team_id": "T0TEAM", "enterprise_id": None},
        "channel_id": "D0ADA",
        "thread_ts": THREAD,
    }
    assert float(event["event_ts"]) > float(THREAD)
    assert second.payload["event"]["type"] == "assistant_thread_context_changed"
    assert second.payload["event"]["assistant_thread"]["context"]["channel_id"] == "C0RIVER"
    assert standin.acks() == [first_id, second_id]


def test_an_assistant_thread_opened_away_from_any_channel_has_an_empty_context() -> None:
    event = assistant_thread_started(context_channel=None)

    assert event["assistant_thread"]["context"] == {}
    assert event["assistant_thread"]["thread_ts"]  # a fresh thread when none is given


# ---- Socket Mode: feedback button clicks


async def streamed_reply(standin: SlackStandIn, blocks: list[dict[str, Any]]) -> str:
    client = web_client(standin)
    asked = dm_message("Any honey left?")
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=asked["ts"]))["ts"]
    await client.chat_stopStream(channel="D0ADA", ts=ts, markdown_text="Plenty.", blocks=blocks)
    return str(ts)


@pytest.mark.parametrize(
    ("positive", "value", "label"), [(True, "up", "👍"), (False, "down", "👎")]
)
async def test_a_feedback_click_arrives_as_block_actions_in_an_interactive_envelope(
    standin: SlackStandIn, positive: bool, value: str, label: str
) -> None:
    ts = await streamed_reply(standin, FEEDBACK)
    thread = standin.streams()[0].thread_ts

    async with socket_client(standin) as (_, received):
        envelope_id = standin.click_feedback("D0ADA", ts, positive=positive)
        request = await next_request(received)
        ack = await standin.wait_for_ack_async(envelope_id)

    assert (request.type, request.envelope_id, ack) == (
        "interactive",
        envelope_id,
        {"envelope_id": envelope_id},
    )
    payload = request.payload
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0ADA"
    assert payload["team"]["id"] == "T0TEAM"
    assert payload["api_app_id"] == "A0LUKAS"
    assert payload["channel"] == {"id": "D0ADA", "name": "directmessage"}
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "D0ADA",
        "is_ephemeral": False,
        "thread_ts": thread,
    }
    assert payload["message"]["ts"] == ts
    assert payload["message"]["text"] == "Plenty."
    (action,) = payload["actions"]
    assert action["type"] == "feedback_buttons"
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "reply_feedback",
        "lukas_feedback",
        value,
    )
    assert action["text"] == {"type": "plain_text", "text": label, "emoji": True}
    assert float(action["action_ts"]) > float(ts)
    assert standin.envelopes()[-1]["type"] == "interactive"


async def test_a_click_waits_for_a_client_and_names_a_channel_from_the_table(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    posted = await client.chat_postMessage(channel="C0GEN", text="Poll", blocks=FEEDBACK)

    envelope_id = standin.click_feedback("C0GEN", posted["ts"], positive=False, user="U0LUKAS")
    async with socket_client(standin) as (_, received):
        request = await next_request(received)

    assert request.envelope_id == envelope_id
    assert request.payload["channel"] == {"id": "C0GEN", "name": "general"}
    assert request.payload["user"]["name"] == "lukas"
    assert "thread_ts" not in request.payload["container"]


async def test_blocks_sent_without_ids_get_stable_ones(standin: SlackStandIn) -> None:
    bare = json.loads(json.dumps(FEEDBACK))
    del bare[0]["block_id"]
    del bare[0]["elements"][0]["action_id"]
    ts = await streamed_reply(standin, bare)

    message = (await web_client(standin).conversations_replies(channel="D0ADA", ts=ts))["messages"]
    first = feedback_click(
        message[0], channel="D0ADA", channel_name="x", response_url="http://127.0.0.1/"
    )
    second = feedback_click(
        message[0], channel="D0ADA", channel_name="x", response_url="http://127.0.0.1/"
    )

    action = first["actions"][0]
    assert action["block_id"] == second["actions"][0]["block_id"]
    assert action["action_id"] == second["actions"][0]["action_id"]
    assert first["message"]["blocks"][0]["block_id"] == action["block_id"]


async def test_a_click_on_a_message_without_buttons_or_no_message_is_refused(
    standin: SlackStandIn,
) -> None:
    posted = await web_client(standin).chat_postMessage(channel="D0ADA", text="No buttons")

    with pytest.raises(ValueError, match="no feedback_buttons"):
        standin.click_feedback("D0ADA", posted["ts"])
    with pytest.raises(LookupError, match=r"no message 1\.000000 in D0ADA"):
        standin.click_feedback("D0ADA", "1.000000")
    assert standin.envelopes() == []


async def test_the_response_url_is_on_the_stand_in_and_records_what_is_posted(
    standin: SlackStandIn,
) -> None:
    ts = await streamed_reply(standin, FEEDBACK)
    standin.click_feedback("D0ADA", ts)
    url = standin.envelopes()[-1]["payload"]["response_url"]

    body = {"text": "Thanks!", "replace_original": False}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        answered = await response.json()

    assert url.startswith(standin.root_url + "/actions/")
    assert answered == {"ok": True}
    (call,) = standin.calls(RESPONSE_URL)
    assert (call.args["text"], call.args["replace_original"]) == ("Thanks!", False)
