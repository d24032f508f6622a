"""Streamed messages on the Slack stand-in (chat.startStream, .appendStream, .stopStream),
through slack-sdk's real AsyncWebClient: its methods and its chat_stream helper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.messages.chunk import MarkdownTextChunk, TaskUpdateChunk

from standins.slack_clients import BOT_TOKEN, web_client
from standins.slack_server import RateLimited, SlackError, SlackStandIn, dm_message

pytestmark = pytest.mark.anyio

FEEDBACK = [
    {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": "feedback",
                "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "good"},
                "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "bad"},
            }
        ],
    }
]
ASKED = dm_message("Tell me about honey")  # the person's message the stream answers


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


async def test_a_stream_starts_appends_and_stops_with_feedback_blocks(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    thread = ASKED["ts"]

    started = await client.chat_startStream(channel="D0ADA", thread_ts=thread, markdown_text="Hon")
    ts = started["ts"]
    appended = await client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="ey is ")
    stopped = await client.chat_stopStream(
        channel="D0ADA", ts=ts, markdown_text="**sweet**.", blocks=FEEDBACK
    )

    assert (started["channel"], appended["ts"], stopped["ts"]) == ("D0ADA", ts, ts)
    assert stopped["message"]["text"] == "Honey is **sweet**."
    assert stopped["message"]["blocks"] == FEEDBACK
    (stream,) = standin.streams()
    assert (stream.ts, stream.channel, stream.thread_ts) == (ts, "D0ADA", thread)
    assert stream.pieces == ("Hon", "ey is ", "**sweet**.")
    assert stream.text == "Honey is **sweet**."
    assert stream.stopped
    assert not stream.streaming
    assert stream.stop_blocks == FEEDBACK
    assert stream.started_at == stream.piece_times[0]
    assert stream.piece_times[0] < stream.piece_times[1] < stream.piece_times[2]
    assert stream.stopped_at == stream.piece_times[2]
    calls = standin.calls()
    assert [c.method for c in calls] == ["chat.startStream", "chat.appendStream", "chat.stopStream"]
    assert [c.markdown_text for c in calls] == list(stream.pieces)
    assert calls[0].at < calls[1].at < calls[2].at
    assert all(c.token == BOT_TOKEN for c in calls)


async def test_the_streamed_message_reads_back_with_its_text_so_far(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    thread = ASKED["ts"]
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=thread))["ts"]
    await client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="Half a")

    during = await client.conversations_replies(channel="D0ADA", ts=thread)
    await client.chat_stopStream(channel="D0ADA", ts=ts, markdown_text=" reply.", blocks=FEEDBACK)
    after = await client.conversations_replies(channel="D0ADA", ts=thread)
    history = await client.conversations_history(channel="D0ADA")

    assert [(m["ts"], m["text"]) for m in during["messages"]] == [(ts, "Half a")]
    (message,) = after["messages"]
    assert (message["text"], message["thread_ts"], message["user"]) == (
        "Half a reply.",
        thread,
        "U0LUKAS",
    )
    assert message["blocks"] == FEEDBACK
    assert history["messages"] == []  # a thread reply is not a top-level message


async def test_the_chat_stream_helper_sends_chunks_and_the_stand_in_reads_them(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    streamer = await client.chat_stream(
        channel="D0ADA", thread_ts=ASKED["ts"], recipient_user_id="U0ADA", buffer_size=5
    )

    for word in ["Bears ", "love ", "honey", "."]:
        await streamer.append(markdown_text=word)
    await streamer.stop(blocks=FEEDBACK)

    (stream,) = standin.streams()
    assert stream.text == "Bears love honey."
    assert stream.pieces == ("Bears ", "love ", "honey", ".")
    assert stream.stop_blocks == FEEDBACK
    assert stream.recipient_user_id == "U0ADA"
    start, *appends, stop = standin.calls()
    assert start.args["chunks"] == [{"type": "markdown_text", "text": "Bears "}]
    assert "markdown_text" not in start.args
    assert [c.method for c in appends] == ["chat.appendStream"] * 2
    assert stop.args["chunks"] == [{"type": "markdown_text", "text": "."}]


async def test_a_helper_that_buffers_everything_sends_it_all_at_stop(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    streamer = await client.chat_stream(channel="D0ADA", thread_ts=ASKED["ts"])

    await streamer.append(markdown_text="Short.")
    await streamer.stop()

    (stream,) = standin.streams()
    assert stream.pieces == ("Short.",)
    assert stream.piece_times == (stream.stopped_at,)
    assert [c.method for c in standin.calls()] == ["chat.startStream", "chat.stopStream"]


async def test_other_chunks_are_kept_as_sent_and_add_no_text(standin: SlackStandIn) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]
    task = TaskUpdateChunk(id="t1", title="Looking for honey", status="in_progress")

    await client.chat_appendStream(
        channel="D0ADA", ts=ts, chunks=[task, MarkdownTextChunk(text="Found it.")]
    )

    (stream,) = standin.streams()
    assert stream.text == "Found it."
    assert [c["type"] for c in stream.chunks] == ["task_update", "markdown_text"]
    assert stream.chunks[0]["title"] == "Looking for honey"


async def test_form_encoded_calls_with_blocks_as_json_text_work_too(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    form = {"channel": "D0ADA", "thread_ts": ASKED["ts"], "markdown_text": "Form "}
    ts = (await client.api_call("chat.startStream", data=form))["ts"]

    await client.api_call(
        "chat.stopStream",
        data={
            "channel": "D0ADA",
            "ts": ts,
            "markdown_text": "post.",
            "blocks": json.dumps(FEEDBACK),
        },
    )

    (stream,) = standin.streams()
    assert stream.text == "Form post."
    assert stream.stop_blocks == FEEDBACK


async def test_blocks_given_to_the_sdk_as_json_text_are_read_as_blocks(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]

    await client.chat_stopStream(channel="D0ADA", ts=ts, blocks=json.dumps(FEEDBACK))

    assert standin.calls("chat.stopStream")[0].args["blocks"] == json.dumps(FEEDBACK)
    assert standin.streams()[0].stop_blocks == FEEDBACK


async def test_stop_keeps_metadata(standin: SlackStandIn) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]
    metadata = {"event_type": "lukas_reply", "event_payload": {"turn": "7"}}

    await client.chat_stopStream(channel="D0ADA", ts=ts, markdown_text="x", metadata=metadata)
    replies = await client.conversations_replies(
        channel="D0ADA", ts=ASKED["ts"], include_all_metadata=True
    )

    assert standin.streams()[0].stop_metadata == metadata
    assert replies["messages"][0]["metadata"] == metadata


# ---- the errors Slack documents


async def test_start_needs_a_channel_and_a_thread(standin: SlackStandIn) -> None:
    client = web_client(standin)

    no_thread = await error_of(client.api_call("chat.startStream", json={"channel": "D0ADA"}))
    no_channel = await error_of(client.api_call("chat.startStream", json={"thread_ts": "1.2"}))

    assert no_thread["error"] == "invalid_arguments"
    assert no_thread["response_metadata"]["messages"] == [
        "[ERROR] missing required field: thread_ts"
    ]
    assert no_channel["error"] == "invalid_arguments"
    assert standin.streams() == []


async def test_streaming_in_a_channel_needs_the_recipient(standin: SlackStandIn) -> None:
    client = web_client(standin)
    thread = "1700000000.000100"

    no_user = await error_of(client.chat_startStream(channel="C0GEN", thread_ts=thread))
    no_team = await error_of(
        client.chat_startStream(channel="C0GEN", thread_ts=thread, recipient_user_id="U0ADA")
    )
    ok = await client.chat_startStream(
        channel="C0GEN", thread_ts=thread, recipient_user_id="U0ADA", recipient_team_id="T0TEAM"
    )

    assert no_user["error"] == "missing_recipient_user_id"
    assert no_team["error"] == "missing_recipient_team_id"
    (stream,) = standin.streams()
    assert (stream.ts, stream.recipient_user_id, stream.recipient_team_id) == (
        ok["ts"],
        "U0ADA",
        "T0TEAM",
    )


async def test_a_stream_cannot_go_where_a_post_cannot(standin: SlackStandIn) -> None:
    client = web_client(standin)
    standin.add_channel("C0OLD", "old", is_archived=True)
    standin.add_channel("C0GONE", "gone")
    standin.remove_channel("C0GONE")

    archived, gone = [
        await error_of(
            client.chat_startStream(
                channel=channel,
                thread_ts="1.2",
                recipient_user_id="U0ADA",
                recipient_team_id="T0TEAM",
            )
        )
        for channel in ("C0OLD", "C0GONE")
    ]

    assert (archived["error"], gone["error"]) == ("is_archived", "channel_not_found")


async def test_appending_to_or_stopping_a_stopped_stream_is_refused(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]
    await client.chat_stopStream(channel="D0ADA", ts=ts, markdown_text="Done.")

    late = await error_of(client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="more"))
    again = await error_of(client.chat_stopStream(channel="D0ADA", ts=ts))

    assert late["error"] == again["error"] == "message_not_in_streaming_state"
    assert standin.streams()[0].text == "Done."


async def test_a_message_that_was_never_streamed_is_not_streaming_and_an_unknown_one_is_not_found(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    posted = await client.chat_postMessage(channel="D0ADA", text="plain", thread_ts=ASKED["ts"])
    streamed = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]

    plain = await error_of(
        client.chat_appendStream(channel="D0ADA", ts=posted["ts"], markdown_text="x")
    )
    unknown = await error_of(
        client.chat_appendStream(channel="D0ADA", ts="1700000000.999999", markdown_text="x")
    )
    elsewhere = await error_of(client.chat_stopStream(channel="D0BOB", ts=streamed))

    assert plain["error"] == "message_not_in_streaming_state"
    assert unknown["error"] == "message_not_found"
    assert elsewhere["error"] == "message_not_found"


async def test_appending_nothing_or_too_much_or_odd_chunks_is_refused(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]

    empty = await error_of(client.chat_appendStream(channel="D0ADA", ts=ts))
    long = await error_of(
        client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="x" * 12_001)
    )
    odd = await error_of(
        client.chat_appendStream(channel="D0ADA", ts=ts, chunks=[{"type": "poem", "text": "x"}])
    )
    no_ts = await error_of(client.api_call("chat.appendStream", json={"channel": "D0ADA"}))

    assert empty["error"] == "no_text"
    assert long["error"] == "msg_too_long"
    assert odd["error"] == "invalid_arguments"
    assert no_ts["response_metadata"]["messages"] == ["[ERROR] missing required field: ts"]
    assert standin.streams()[0].pieces == ()
    # Refused calls are still recorded, as every call is.
    assert len(standin.calls("chat.appendStream")) == 4


async def test_an_expired_stream_refuses_appends_and_chat_update_finishes_the_message(
    standin: SlackStandIn,
) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]
    await client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="Half")

    standin.expire_stream(ts)
    refused = await error_of(client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="!"))
    await client.chat_update(channel="D0ADA", ts=ts, text="Half and the rest.")
    replies = await client.conversations_replies(channel="D0ADA", ts=ASKED["ts"])

    assert refused["error"] == "message_not_in_streaming_state"
    stream = standin.streams()[0]
    assert stream.expired
    assert not stream.stopped
    assert replies["messages"][0]["text"] == "Half and the rest."
    with pytest.raises(KeyError):
        standin.expire_stream("1.000000")


async def test_scripted_failures_apply_to_the_stream_methods(standin: SlackStandIn) -> None:
    client = web_client(standin, retry_handlers=[])
    standin.fail("chat.startStream", SlackError("ratelimited"))
    standin.fail("chat.appendStream", RateLimited(retry_after=1))

    first = await error_of(client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]
    limited = await error_of(client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="a"))
    await client.chat_appendStream(channel="D0ADA", ts=ts, markdown_text="b")

    assert first["error"] == "ratelimited"
    assert limited["error"] == "ratelimited"
    (stream,) = standin.streams()  # the failed start opened nothing
    assert stream.pieces == ("b",)


async def test_wait_for_streams_waits_for_stopped_ones(standin: SlackStandIn) -> None:
    client = web_client(standin)
    ts = (await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"]))["ts"]

    assert len(await standin.wait_for_streams_async(1)) == 1
    with pytest.raises(TimeoutError, match="1 streams"):
        await standin.wait_for_streams_async(1, timeout=0.05, stopped=True)
    await client.chat_stopStream(channel="D0ADA", ts=ts, markdown_text="ok")
    assert standin.wait_for_streams(1, stopped=True)[0].stopped


async def test_reset_forgets_streams(standin: SlackStandIn) -> None:
    client = web_client(standin)
    await client.chat_startStream(channel="D0ADA", thread_ts=ASKED["ts"])

    standin.reset()

    assert standin.streams() == []
