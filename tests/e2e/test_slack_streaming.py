"""Issue 14's must-show, with the real `lukas slack` against the stand-ins: replies stream
into Slack as the model writes them, carry the feedback buttons, assistant threads are
greeted and answered with a status and a stream, and a kill mid-stream leaves exactly one
complete answer after the restart."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import running_bot, wait_for_answers
from standins.openai_server import OpenAIStandIn, Reply
from standins.openai_stream import StreamBreak, Streamed
from standins.slack_interactions import assistant_thread_started
from standins.slack_server import SlackStandIn
from standins.slack_socket import app_mention, dm_message

from lukas.domain.persona import STREAM_CUT_APOLOGY, STREAM_CUT_NOTE

pytestmark = pytest.mark.slow

ANSWER = (
    "Honey is best in small spoonfuls, shared with friends on a slow afternoon,"
    " and never before a long nap in the sun."
)


def types(run_lukas: RunLukas, db: Path) -> list[str]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    return [json.loads(line)["type"] for line in lines]


def test_a_mention_is_streamed_in_pieces_and_a_click_on_good_is_counted(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    # The first token after 300 ms, then one word every 50 ms: about a second of writing.
    openai_standin.script(Streamed(Reply(ANSWER), first_delay=0.3, between=0.05))
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(app_mention("<@U0LUKAS> honey?", ts="1700000900.000100"))
        wait_for_answers(slack_standin, 1)
        [stream] = slack_standin.streams()
        envelope = slack_standin.click_feedback(stream.channel, stream.ts, positive=True)
        slack_standin.wait_for_ack(envelope)
    [model_stream] = openai_standin.streams()
    # chat.startStream opened it empty; the text came in pieces while the model still wrote.
    starts = [c for c in slack_standin.calls() if c.method == "chat.startStream"]
    assert [c.markdown_text for c in starts] == [""]
    assert stream.text == ANSWER == model_stream.text
    assert len(stream.pieces) >= 3
    assert stream.piece_times[1] < model_stream.content_times()[-1]
    assert stream.stopped
    assert "feedback_buttons" in json.dumps(stream.stop_blocks)

    seen = [t for t in types(run_lukas, db) if t.startswith(("Message", "Reply", "Feedback"))]
    assert seen == [
        "MessageReceived",
        "ReplyStreamStarted",
        "ReplyGenerated",
        "ReplyDelivered",
        "FeedbackGiven",
    ]
    replay = run_lukas("replay", "--db", str(db)).stdout
    assert "rated the reply" in replay
    assert "openai:gpt-5.4-mini good" in replay
    stats = run_lukas("stats", "--db", str(db)).stdout
    assert "openai:gpt-5.4-mini" in stats.split("feedback on replies")[1]
    assert "1 good    0 bad" in stats


def test_an_assistant_thread_gets_prompts_a_status_and_a_streamed_answer(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Streamed(Reply("Bears love honey and naps."), between=0.05))
    thread_ts = "1700001000.000100"
    with running_bot(slack_standin, openai_standin, db):
        started = slack_standin.push_event(assistant_thread_started(thread_ts=thread_ts))
        slack_standin.wait_for_ack(started)
        slack_standin.wait_for_calls("assistant.threads.setSuggestedPrompts", 1, timeout=20)
        slack_standin.push_event(
            dm_message(
                "Tell me a fun fact about bears", ts="1700001000.000200", thread_ts=thread_ts
            )
        )
        wait_for_answers(slack_standin, 2)  # the greeting, then the streamed answer
        slack_standin.wait_for_calls("assistant.threads.setTitle", 1, timeout=20)
    thread = slack_standin.assistant_thread("D0ADA", thread_ts)
    assert thread is not None
    assert thread.prompts[0]["message"] == "Tell me a fun fact about bears"
    assert thread.title == "Tell me a fun fact about bears"
    statuses = [c.args["status"] for c in slack_standin.calls("assistant.threads.setStatus")]
    assert statuses[0] == "is thinking..."
    [stream] = slack_standin.streams()
    assert (stream.channel, stream.thread_ts) == ("D0ADA", thread_ts)
    assert stream.text == "Bears love honey and naps."
    assert [c.method for c in slack_standin.calls() if c.method.startswith("reactions.")] == []
    replay = run_lukas("replay", "--db", str(db)).stdout
    assert "opened an assistant thread D0ADA/1700001000.000100 (looking at C0GEN)" in replay


def test_a_kill_mid_stream_leaves_the_stream_closed_and_one_complete_answer(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    slow = Streamed(Reply("word " * 200), between=0.1)  # twenty seconds of writing
    openai_standin.script(slow, Reply("The whole answer, at last."))
    with running_bot(slack_standin, openai_standin, db) as bot:
        slack_standin.push_event(app_mention("<@U0LUKAS> tell me", ts="1700001100.000100"))
        deadline = time.monotonic() + 20
        while not any(len(s.pieces) >= 2 for s in slack_standin.streams()):
            assert time.monotonic() < deadline, "nothing was streamed"
            time.sleep(0.02)
        bot.process.send_signal(signal.SIGKILL)
        bot.process.wait(timeout=10)
    # Only the conversation's own events: the schedulers record theirs meanwhile.
    replies = [t for t in types(run_lukas, db) if t.startswith(("Message", "Reply"))]
    assert replies == ["MessageReceived", "ReplyStreamStarted"]
    with running_bot(slack_standin, openai_standin, db, connections_before=1):
        wait_for_answers(slack_standin, 2)
    cut, whole = slack_standin.streams()
    assert cut.stopped
    assert cut.text.startswith("word word")
    assert cut.text.endswith(STREAM_CUT_NOTE)
    assert "feedback_buttons" not in json.dumps(cut.stop_blocks)
    assert whole.stopped
    assert whole.text == "The whole answer, at last."
    assert whole.thread_ts == cut.thread_ts == "1700001100.000100"
    seen = types(run_lukas, db)
    assert seen.count("ReplyGenerated") == 1
    assert seen.count("ReplyDelivered") == 1
    assert seen.count("ReplyStreamClosed") == 1


def test_a_provider_failing_mid_stream_keeps_the_words_and_apologises(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Streamed(Reply("One two three four five"), cut=StreamBreak(after=3)))
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(app_mention("<@U0LUKAS> count", ts="1700001200.000100"))
        wait_for_answers(slack_standin, 1)
    [stream] = slack_standin.streams()
    assert stream.text == f"One two three\n\n{STREAM_CUT_APOLOGY}"
    assert len(openai_standin.chat_requests()) == 1  # no silent second answer
    failed = [
        json.loads(line)["data"]
        for line in run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
        if json.loads(line)["type"] == "ReplyFailed"
    ]
    assert len(failed) == 1
    assert "cut off after 13 characters" in failed[0]["detail"]
