"""Asking Lukas for things from the stand-in Slack: settings, announcements, reminders, and
a natural phrasing the model turns into a tool call."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import running_bot
from standins.openai_server import OpenAIStandIn, Reply, ToolCallReply
from standins.slack_server import SlackStandIn, dm_message

pytestmark = pytest.mark.slow


def events_of(run_lukas: RunLukas, db: Path, kind: str) -> list[dict[str, object]]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    return [r["data"] for r in records if r["type"] == kind]


def posts_to(slack: SlackStandIn, channel: str) -> list[str]:
    return [
        str(c.args["markdown_text"])
        for c in slack.posted_messages()
        if c.args["channel"] == channel
    ]


def test_an_admin_changes_a_setting_and_a_member_is_declined(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    slack_standin.add_user("U0ADMIN", "Grace")
    slack_standin.add_user("U0ADA", "Ada")
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(
            dm_message("set thread probability to 0.5", user="U0ADMIN", channel="D0ADMIN")
        )
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)
        slack_standin.push_event(dm_message("set thread probability to 1.0"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
    assert posts_to(slack_standin, "D0ADMIN") == ["Done: thread probability is now 0.5 (it was 0)."]
    [declined] = posts_to(slack_standin, "D0ADA")
    assert declined.startswith("Sorry, Ada, only Lukas's admins can change the thread probability")
    assert openai_standin.chat_requests() == []  # the documented form needs no model
    [changed] = events_of(run_lukas, db, "ConfigurationChanged")
    assert changed == {
        "setting": "LUKAS_THREAD_PROBABILITY",
        "old_value": "0",
        "new_value": "0.5",
        "by": "U0ADMIN",
    }
    assert "U0ADMIN changed LUKAS_THREAD_PROBABILITY" in run_lukas("replay", "--db", str(db)).stdout
    [refused] = events_of(run_lukas, db, "RequestDeclined")
    assert refused["requester"] == "U0ADA"
    shown = run_lukas("config", "show", "--db", str(db)).stdout
    line = next(x for x in shown.splitlines() if x.startswith("LUKAS_THREAD_PROBABILITY="))
    assert line.startswith("LUKAS_THREAD_PROBABILITY=0.5  (changed by U0ADMIN at ")


def test_a_reminder_for_a_teammate_names_them_by_their_slack_id(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    # A display name with a space: read from the mention's id, not from the words.
    slack_standin.add_user("U0BOB", "Bob Builder")
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message("remind <@U0BOB> tomorrow at 9am to order parts"))
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)
    [answer] = posts_to(slack_standin, "D0ADA")
    assert answer.startswith("Okay! I'll remind Bob Builder tomorrow at 09:00: order parts")
    [reminder] = events_of(run_lukas, db, "ReminderSet")
    assert (reminder["target"], reminder["target_name"]) == ("U0BOB", "Bob Builder")


def test_an_announcement_reaches_the_general_channel(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message("post 'hello team' to #general"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
    assert posts_to(slack_standin, "C0GEN") == ["hello team"]
    assert posts_to(slack_standin, "D0ADA") == ["Posted in #general. ✅"]


def test_a_natural_request_becomes_a_tool_call_and_the_same_announcement(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    arguments = json.dumps({"channel": "#general", "text": "Cake in the kitchen!"})
    openai_standin.script(
        Reply(text="", tool_calls=(ToolCallReply("post_announcement", arguments),))
    )
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message("could you tell everyone there's cake? 🍰"))
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
    assert posts_to(slack_standin, "C0GEN") == ["Cake in the kitchen!"]
    assert posts_to(slack_standin, "D0ADA") == ["Posted in #general. ✅"]
    [request] = openai_standin.chat_requests()
    offered = {tool["function"]["name"] for tool in request.tools or []}
    assert {"post_announcement", "set_reminder", "change_setting"} <= offered


def test_a_reminder_a_minute_ahead_is_delivered_once_across_a_restart(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message("remind me in 1 minute to stretch"))
        slack_standin.wait_for_calls("chat.postMessage", 1, timeout=20)
    [confirmation] = posts_to(slack_standin, "D0ADA")
    assert "I'll remind you" in confirmation
    [reminder] = events_of(run_lukas, db, "ReminderSet")
    # Lukas is down when it falls due.
    due = dt.datetime.fromisoformat(str(reminder["due"])).timestamp()
    time.sleep(max(0.0, due + 1 - time.time()))
    with running_bot(slack_standin, openai_standin, db, connections_before=1):
        slack_standin.wait_for_calls("chat.postMessage", 2, timeout=20)
        time.sleep(2)  # time enough for a second delivery, were there one
    with running_bot(slack_standin, openai_standin, db, connections_before=2):
        time.sleep(3)
    assert posts_to(slack_standin, "D0ADA") == [confirmation, "⏰ Reminder: stretch"]
    assert len(events_of(run_lukas, db, "ReminderDelivered")) == 1
    assert reminder["text"] == "stretch"
