"""Lukas joining threads unasked, against the stand-in Slack: certain, never, quiet hours."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import answers, running_bot, wait_for_answers
from standins.openai_server import OpenAIStandIn, Reply
from standins.slack_server import SlackStandIn, channel_message

pytestmark = pytest.mark.slow

ALWAYS = {"LUKAS_ACTIVE_HOURS": "always"}


def decisions(run_lukas: RunLukas, db: Path) -> list[dict[str, object]]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    return [
        json.loads(line)["data"]
        for line in lines
        if json.loads(line)["type"] == "EngagementDecided"
    ]


def test_with_probability_one_a_new_thread_gets_a_reply_and_a_reaction(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Ooh, tell me more! \U0001f43b"))
    env = {**ALWAYS, "LUKAS_THREAD_PROBABILITY": "1.0", "LUKAS_REACTION_PROBABILITY": "1.0"}
    with running_bot(slack_standin, openai_standin, db, env=env):
        slack_standin.push_event(
            channel_message("remind me in 5 minutes to celebrate", ts="1700000400.000100")
        )
        wait_for_answers(slack_standin, 1)
    [answer] = answers(slack_standin)
    assert (answer.channel, answer.thread_ts) == ("C0GEN", "1700000400.000100")
    assert answer.streamed
    reactions = [
        c
        for c in slack_standin.calls("reactions.add")
        if c.args["timestamp"] == "1700000400.000100"
    ]
    assert reactions
    # A thread Lukas joined unasked is conversation: the model is offered no requests.
    [request] = openai_standin.chat_requests()
    assert request.tools is None
    [decision] = decisions(run_lukas, db)
    assert decision["reply"] is True
    assert 0.0 <= float(str(decision["thread_draw"])) < 1.0
    replay = run_lukas("replay", "--db", str(db)).stdout
    assert "new thread C0GEN/1700000400.000100: reply and react" in replay
    assert "ReminderSet" not in replay  # said to colleagues, not to Lukas


def test_with_probability_zero_or_while_paused_lukas_stays_quiet(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db, env=ALWAYS):
        slack_standin.push_event(channel_message("quiet please", ts="1700000500.000100"))
        time.sleep(2)
    assert answers(slack_standin) == []
    [decision] = decisions(run_lukas, db)
    assert (decision["reply"], decision["reaction"]) == (False, None)
    # An admin's pause (the same gate as quiet hours, without depending on when tests run).
    assert run_lukas("pause", "--db", str(db), "--until", "1d").returncode == 0
    env = {**ALWAYS, "LUKAS_THREAD_PROBABILITY": "1.0"}
    with running_bot(slack_standin, openai_standin, db, env=env, connections_before=1):
        slack_standin.push_event(channel_message("hello?", ts="1700000500.000200"))
        time.sleep(2)
    assert answers(slack_standin) == []
    assert decisions(run_lukas, db)[-1]["reason"] == "paused by an admin"


def test_a_thread_joined_unasked_is_left_alone_once_busy(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    env = {**ALWAYS, "LUKAS_THREAD_PROBABILITY": "1.0", "LUKAS_BUSY_THREAD_MESSAGES": "2"}
    top = "1700000800.000100"
    with running_bot(slack_standin, openai_standin, db, env=env):
        slack_standin.push_event(channel_message("Paper accepted!", ts=top))
        wait_for_answers(slack_standin, 1)
        slack_standin.push_event(
            channel_message("Congrats!", ts="1700000800.000200", thread_ts=top, user="U0BOB")
        )
        wait_for_answers(slack_standin, 2)
        # Two messages in the thread now: the next one is between people.
        slack_standin.push_event(
            channel_message("Drinks at 6?", ts="1700000800.000300", thread_ts=top, user="U0CY")
        )
        time.sleep(2)
    assert len(answers(slack_standin)) == 2
    assert len(openai_standin.chat_requests()) == 2
