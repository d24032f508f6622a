"""`lukas slack` end to end: the real slack-sdk clients against a stand-in Slack on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    MODEL_KEY,
    Answer,
    answers,
    running_bot,
    wait_for_answers,
)
from standins.openai_server import OpenAIStandIn, Reply
from standins.slack_server import (
    RateLimited,
    SlackError,
    SlackStandIn,
    app_mention,
    channel_message,
    dm_message,
)
from standins.slack_socket import TEAM_ID

pytestmark = pytest.mark.slow


def settle(seconds: float = 1.5) -> None:
    """Time for anything wrongly sent to arrive, before asserting that nothing did."""
    time.sleep(seconds)


def test_mentions_dms_and_thread_follow_ups_are_answered_in_place(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    slack_standin.add_user("U0ADA", "Ada")
    openai_standin.script(Reply("Hi Ada, in the thread!"), Reply("Hi in DM"), Reply("Follow-up"))
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db) as bot:
        mention = app_mention("<@U0LUKAS> how is the honey?", ts="1700000100.000100")
        envelope = slack_standin.push_event(mention)
        slack_standin.wait_for_ack(envelope)
        wait_for_answers(slack_standin, 1)
        slack_standin.push_event(dm_message("hello bear"))
        wait_for_answers(slack_standin, 2)
        slack_standin.push_event(
            channel_message("and the bees?", ts="1700000100.000300", thread_ts="1700000100.000100")
        )
        wait_for_answers(slack_standin, 3)
        slack_standin.push_event(channel_message("not for Lukas", thread_ts="1700000000.000001"))
        slack_standin.push_event(channel_message("just chatting in #general"))
        settle()
        assert bot.stop() == 0
    # In a thread the reply is streamed; a plain DM gets it whole. Each carries the buttons.
    thread = "1700000100.000100"
    assert answers(slack_standin) == [
        Answer("C0GEN", thread, "Hi Ada, in the thread!", streamed=True, buttons=True),
        Answer("D0ADA", None, "Hi in DM", streamed=False, buttons=True),
        Answer("C0GEN", thread, "Follow-up", streamed=True, buttons=True),
    ]
    first = slack_standin.streams()[0]
    assert (first.recipient_user_id, first.recipient_team_id) == ("U0ADA", TEAM_ID)
    first_prompt = openai_standin.chat_requests()[0].messages[-1]["content"]
    assert first_prompt == "Ada: how is the honey?"  # mention stripped, name given
    third = openai_standin.chat_requests()[2]
    assert third.roles == ["system", "user", "assistant", "user"]
    reactions = [c.method for c in slack_standin.calls() if c.method.startswith("reactions.")]
    assert reactions == ["reactions.add", "reactions.remove"] * 3
    assert len(slack_standin.calls("users.info")) == 1  # looked up once, then remembered
    timeline = run_lukas("replay", "--db", str(db)).stdout
    assert "conversation:slack-thread:C0GEN:1700000100.000100" in timeline
    assert "conversation:slack-dm:D0ADA:" in timeline


def test_every_duplicate_gets_one_reply(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        mention = app_mention("<@U0LUKAS> once please", ts="1700000200.000100")
        first = slack_standin.push_event(mention, event_id="Ev0ONCE")
        # Slack's redelivery: same event, new envelope, retry_attempt 1.
        again = slack_standin.push_event(
            mention, event_id="Ev0ONCE", retry_attempt=1, retry_reason="timeout"
        )
        # The twin Slack sends for a mention in a channel Lukas is in.
        twin = channel_message("<@U0LUKAS> once please", ts="1700000200.000100")
        twin_envelope = slack_standin.push_event(twin)
        for envelope in (first, again, twin_envelope):
            slack_standin.wait_for_ack(envelope)
        wait_for_answers(slack_standin, 1)
        settle()
    assert len(answers(slack_standin)) == 1
    assert len(openai_standin.chat_requests()) == 1


def test_bots_edits_and_lukas_himself_are_ignored_and_every_envelope_is_acked(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        envelopes = [
            slack_standin.push_event(dm_message("beep", bot_id="B0OTHER")),
            slack_standin.push_event(dm_message("edited", subtype="message_changed")),
            slack_standin.push_event(dm_message("my own words", user="U0LUKAS")),
            slack_standin.push_event({"type": "message"}),  # fields missing
            slack_standin.push_event({"type": "team_join", "user": {"id": "U9"}}),
            slack_standin.push_event(dm_message("x" * 50_000)),
        ]
        slack_standin.push_raw("this is not json")
        for envelope in envelopes:
            slack_standin.wait_for_ack(envelope)
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)  # the 50,000 one
        settle()
    [reply] = slack_standin.posted_messages()
    assert "tokens" in str(reply.args["markdown_text"])  # too long to read, said kindly
    assert openai_standin.chat_requests() == []


def test_a_rate_limited_post_is_retried_and_a_refused_one_is_delivered_after_restart(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Paced reply"), Reply("Late but sure"))
    slack_standin.fail("chat.postMessage", RateLimited(retry_after=1))
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message("first"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
        slack_standin.fail("chat.postMessage", SlackError("channel_not_found"))
        slack_standin.push_event(dm_message("second"))
        slack_standin.wait_for_calls("chat.postMessage", 3, timeout=20)
        settle()
    texts = [c.markdown_text for c in slack_standin.posted_messages()]
    assert texts == ["Paced reply", "Paced reply", "Late but sure"]  # 429 retried; refused
    with running_bot(slack_standin, openai_standin, db, connections_before=1):
        slack_standin.wait_for_calls("chat.postMessage", 4, timeout=20)
        settle()
    texts = [c.markdown_text for c in slack_standin.posted_messages()]
    assert texts[-1] == "Late but sure"
    assert len(texts) == 4  # delivered once after the restart, not again
    assert len(openai_standin.chat_requests()) == 2


def test_the_bot_reconnects_after_a_disconnect_and_a_dropped_socket(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.send_disconnect()
        slack_standin.wait_for_connections(2, timeout=20)
        slack_standin.push_event(dm_message("still there?"))
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)
        slack_standin.drop_connection()
        slack_standin.wait_for_connections(3, timeout=40)
        slack_standin.push_event(dm_message("and now?"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)


def test_no_token_appears_in_any_log_line(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db) as bot:
        slack_standin.push_event(dm_message("hi"))
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)
        slack_standin.send_disconnect()
        slack_standin.wait_for_connections(2, timeout=20)
        bot.stop()
        output = bot.output()
    assert "Lukas is on Slack as U0LUKAS" in output
    for secret in (BOT_TOKEN, APP_TOKEN, MODEL_KEY, BOT_TOKEN[5:], APP_TOKEN[5:]):
        assert secret not in output
    assert secret not in db.read_bytes().decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-abcdefghijkl"}, "SLACK_APP_TOKEN is not set"),
        (
            {"SLACK_BOT_TOKEN": "not-a-token", "SLACK_APP_TOKEN": "xapp-1-abcdefghijkl"},
            "SLACK_BOT_TOKEN does not look like a Slack token",
        ),
    ],
)
def test_a_missing_or_malformed_token_is_one_line_and_exit_2(
    run_lukas: RunLukas, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    run = run_lukas("slack", env={**env, "LUKAS_DB": str(tmp_path / "l.db")})
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"lukas: {message} " + run.stderr.split(message, 1)[1].strip()
    ]
    assert "xoxb-abc" not in run.stderr
    assert not (tmp_path / "l.db").exists()


def test_replay_shows_the_slack_conversations(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(app_mention("<@U0LUKAS> hi", ts="1700000300.000100"))
        wait_for_answers(slack_standin, 1)
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    streams = {json.loads(line)["stream_id"] for line in lines}
    assert "conversation:slack-thread:C0GEN:1700000300.000100" in streams


def test_an_admin_gets_a_picture_in_the_channel_and_others_a_kind_no(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    env = {"LUKAS_IMAGE_API_BASE": openai_standin.base_url}
    with running_bot(slack_standin, openai_standin, db, env=env):
        slack_standin.push_event(
            app_mention("<@U0LUKAS> draw a picture for the milestone", user="U0ADMIN")
        )
        slack_standin.wait_for_calls("files.completeUploadExternal", 1, timeout=30)
        slack_standin.push_event(dm_message("draw me a picture", user="U0BOB", channel="D0BOB"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
    [upload] = slack_standin.uploads()
    assert upload.channel == "C0GEN"
    [request] = openai_standin.image_requests()
    assert "achievement celebration" in request.body["prompt"]
    # The admin is answered once the picture is up; Bob's refusal needs no drawing.
    texts = sorted(str(c.args["markdown_text"]) for c in slack_standin.posted_messages())
    assert texts[0].startswith("I'd love to draw for you!")
    assert "only the team's admins" in texts[0]
    assert texts[1].startswith("There you go!")
