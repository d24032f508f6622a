"""Check-in DMs against the stand-in Slack: the roster synced, the right member written to,
and the conversation carried on when they answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import running_bot
from standins.openai_server import OpenAIStandIn, Reply
from standins.slack_server import SlackStandIn, dm_message

pytestmark = pytest.mark.slow

ALWAYS = {"LUKAS_ACTIVE_HOURS": "always"}


def events_of(run_lukas: RunLukas, db: Path, kind: str) -> list[dict[str, object]]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    return [r["data"] for r in records if r["type"] == kind]


def test_a_short_interval_sends_a_check_in_to_a_member_never_contacted(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    slack_standin.add_user("U0ADA", "Ada", timezone="Europe/Berlin")
    slack_standin.add_user("U0BOT", "Build Bot", is_bot=True)
    slack_standin.add_user("U0GONE", "Gone", deleted=True)
    openai_standin.script(Reply("Hi Ada! How is the research going today? \U0001f43b"))
    # Long enough for Ada to answer before the next check-in opens a new conversation.
    env = {**ALWAYS, "LUKAS_DM_INTERVAL": "4s"}
    with running_bot(slack_standin, openai_standin, db, env=env):
        [check_in] = slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)[:1]
        assert check_in.args["channel"] == "D0ADA"
        assert (
            check_in.args["markdown_text"] == "Hi Ada! How is the research going today? \U0001f43b"
        )
        # Ada answers: the reply is part of the conversation Lukas opened.
        slack_standin.push_event(dm_message("Great, the model finally converged!"))
        answered = slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
    assert answered[1].args.get("thread_ts") is None  # answered in the DM itself, as people expect
    dm_posts = {call.args["channel"] for call in slack_standin.posted_messages()}
    assert dm_posts == {"D0ADA"}  # never the bot, the deactivated member, or Lukas
    reply_request = next(r for r in openai_standin.chat_requests() if "converged" in str(r.body))
    assert reply_request.roles[-2:] == ["assistant", "user"]
    assert reply_request.messages[-2]["content"] == check_in.args["markdown_text"]

    joined = events_of(run_lukas, db, "MemberJoined")
    assert {str(e["member_id"]) for e in joined} >= {"U0ADA", "U0BOT"}
    [written, *_] = events_of(run_lukas, db, "CheckInWritten")
    assert (written["member_id"], written["reason"]) == ("U0ADA", "never checked in with")
    scheduled = events_of(run_lukas, db, "CheckInScheduled")
    assert all(0.0 <= float(str(s["draw"])) < 1.0 for s in scheduled)
    replay = run_lukas("replay", "--db", str(db)).stdout
    assert "check-in for Ada (U0ADA), never checked in with" in replay
    assert "next check-in due" in replay
    assert "draw" in replay
    stats = run_lukas("stats", "--db", str(db)).stdout
    assert "Ada (U0ADA): " in stats
    assert "Build Bot" not in stats
