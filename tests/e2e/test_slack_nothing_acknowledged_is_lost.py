"""What Lukas acknowledged, he answers: 40 DMs acknowledged, then the bot killed or stopped at
once, and after a restart each of the 40 is answered, exactly once.

Slack never sends an acknowledged envelope again, so an envelope is acknowledged only once
it is in the log (Inbox.record); everything after works from the log.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import running_bot
from standins.openai_server import OpenAIStandIn
from standins.slack_server import SlackStandIn, dm_message
from standins.slack_socket import next_ts

pytestmark = pytest.mark.slow

PEOPLE = 40


def channels() -> list[str]:
    return [f"D0P{n:02d}" for n in range(PEOPLE)]


def push_and_wait_for_acks(slack: SlackStandIn) -> None:
    envelopes = []
    for n, channel in enumerate(channels()):
        user = f"U0P{n:02d}"
        slack.add_user(user, f"Person {n}")
        # Stamped by the stand-in's clock, as Slack stamps messages: a reply posted before
        # the kill sorts after what it answers, which is where recovery looks for it.
        message = dm_message(f"hello from {n}", user=user, channel=channel, ts=next_ts())
        envelopes.append(slack.push_event(message))
    for envelope in envelopes:
        slack.wait_for_ack(envelope, timeout=30)


def replies_by_channel(slack: SlackStandIn) -> Counter[str]:
    return Counter(str(call.args["channel"]) for call in slack.posted_messages())


def answer_the_rest_after_a_restart(
    slack: SlackStandIn, model: OpenAIStandIn, db: Path, run_lukas: RunLukas
) -> None:
    with running_bot(slack, model, db, connections_before=1):
        slack.wait_for_calls("chat.postMessage", PEOPLE, timeout=120)
        time.sleep(2)  # time for anything sent twice to arrive
    assert replies_by_channel(slack) == dict.fromkeys(channels(), 1)
    timeline = run_lukas("replay", "--db", str(db)).stdout
    assert timeline.count("MessageReceived") == PEOPLE
    assert timeline.count("ReplyDelivered") == PEOPLE


def test_killed_right_after_acknowledging_40_dms_every_one_is_answered_once(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db) as bot:
        push_and_wait_for_acks(slack_standin)
        bot.process.send_signal(signal.SIGKILL)
        bot.process.wait(timeout=10)
    answered_before = sum(replies_by_channel(slack_standin).values())
    print(f"{answered_before} of {PEOPLE} answered before the kill")  # shown with pytest -s
    answer_the_rest_after_a_restart(slack_standin, openai_standin, db, run_lukas)
    # Whatever the first process had not finished, the second did: the kill lost nothing.
    assert answered_before < PEOPLE


def test_stopped_right_after_acknowledging_40_dms_it_exits_soon_and_answers_all_later(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    with running_bot(slack_standin, openai_standin, db) as bot:
        push_and_wait_for_acks(slack_standin)
        stopped = time.monotonic()
        bot.process.send_signal(signal.SIGTERM)
        assert bot.process.wait(timeout=30) == 0
        took = time.monotonic() - stopped
    print(f"stopped {took:.2f} s after SIGTERM")  # shown with pytest -s
    assert took < 8, f"took {took:.1f} s to stop"
    answer_the_rest_after_a_restart(slack_standin, openai_standin, db, run_lukas)
