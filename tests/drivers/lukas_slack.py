"""`lukas slack` as a subprocess against the stand-in Slack and the stand-in model server."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
from standins.openai_server import OpenAIStandIn
from standins.slack_server import SlackStandIn

from drivers.lukas_cli import LUKAS, clean_environment

BOT_TOKEN = "xoxb-test-0000000000-standin-bot-token"
APP_TOKEN = "xapp-1-A0LUKAS-0000000000-standin-app-token"
MODEL_KEY = "sk-test-slack-model-key-0123456789"


def slack_environment(
    slack: SlackStandIn, model: OpenAIStandIn, db: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    return clean_environment(
        {
            # Unasked messages are off unless a test turns them on.
            "LUKAS_THREAD_PROBABILITY": "0",
            "LUKAS_REACTION_PROBABILITY": "0",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "LUKAS_SLACK_API_URL": slack.api_url,
            "OPENAI_API_KEY": MODEL_KEY,
            "LUKAS_LLM_API_BASE": model.base_url,
            "LUKAS_DB": str(db),
            "LUKAS_ADMIN_USERS": "U0ADMIN",
            "LUKAS_LOG_LEVEL": "DEBUG",
            **(extra or {}),
        }
    )


class RunningBot:
    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def running_bot(
    slack: SlackStandIn,
    model: OpenAIStandIn,
    db: Path,
    *,
    connections_before: int = 0,
    env: dict[str, str] | None = None,
) -> Iterator[RunningBot]:
    """Starts `lukas slack`, waits until its socket is connected, stops it with SIGTERM."""
    log = db.with_suffix(f".{connections_before}.log")
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(LUKAS), "slack"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=db.parent,
            env=slack_environment(slack, model, db, env),
        )
    bot = RunningBot(process, log)
    try:
        slack.wait_for_connections(connections_before + 1, timeout=30)
        yield bot
    finally:
        if process.poll() is None:
            bot.stop()


@attrs.frozen
class Answer:
    """A reply as Slack shows it: posted whole, or streamed into a message."""

    channel: str
    thread_ts: str | None
    text: str
    streamed: bool
    # The feedback buttons' block, if the reply carries them.
    buttons: bool


def answers(slack: SlackStandIn) -> list[Answer]:
    """Posts and streams, in the order they began; a stream with the text it has so far."""
    posted = [
        (
            call.at,
            Answer(
                channel=str(call.args.get("channel")),
                thread_ts=str(call.args["thread_ts"]) if call.args.get("thread_ts") else None,
                text=call.markdown_text,
                streamed=False,
                buttons="feedback_buttons" in str(call.args.get("blocks") or ""),
            ),
        )
        for call in slack.posted_messages()
    ]
    streamed = [
        (
            stream.started_at,
            Answer(
                channel=stream.channel,
                thread_ts=stream.thread_ts,
                text=stream.text,
                streamed=True,
                buttons="feedback_buttons" in str(stream.stop_blocks or ""),
            ),
        )
        for stream in slack.streams()
    ]
    return [answer for _, answer in sorted(posted + streamed, key=lambda pair: pair[0])]


def wait_for_answers(slack: SlackStandIn, count: int, timeout: float = 20.0) -> list[Answer]:
    """Blocks until `count` replies are complete: posted, or their stream stopped."""
    deadline = time.monotonic() + timeout
    while True:
        done = len(slack.posted_messages()) + sum(s.stopped for s in slack.streams())
        if done >= count:
            return answers(slack)
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {count} answers: {answers(slack)}")
        time.sleep(0.02)
