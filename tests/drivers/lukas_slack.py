"""`lukas slack` as a subprocess against the stand-in Slack and the stand-in model server."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
