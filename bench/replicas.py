"""Replies per second with three `lukas slack` replicas on one PostgreSQL database, against
one replica on the same database and stand-ins, in the same run (ADR 26).

Each side starts its replicas (real `lukas slack` processes) on a database of its own, has
the tests' stand-in Slack spread DMs from different people over their sockets, and times
from the first push to the last reply posted. The model stand-in runs in a process of its
own and answers at once, so what is measured is Lukas's own work per message (record,
acknowledge, read, answer, deliver) and how well it spreads over processes. On a 2-core
machine shared with the stand-ins and the database, three processes cannot be three times
one. No target: the issue asks for the figure.

Skipped, with one line on stderr, where there is no PostgreSQL server (bench/postgres_append).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from drivers.lukas_cli import LUKAS, clean_environment
from drivers.lukas_slack import APP_TOKEN, BOT_TOKEN, MODEL_KEY
from standins.slack_server import SlackStandIn, dm_message

from bench.common import Options, progress, scratch_dir
from bench.postgres_append import database, server
from bench.report import Figure, Target
from bench.standin_process import StandInProcess

NAME = "replicas"
REPLICAS = 3


def run(options: Options) -> list[Figure]:
    found = server()
    if found is None:
        print(
            f"{NAME}: skipped, no PostgreSQL server (set LUKAS_TEST_POSTGRES_URL)", file=sys.stderr
        )
        return []
    messages = 60 if options.quick else 300
    with (
        StandInProcess() as model,
        SlackStandIn() as slack,
        scratch_dir(options, "replicas") as work,
    ):
        model.script([(0.0, f"Reply {n}.") for n in range(4 * messages)])
        one = _replies_per_second(found, slack, model.base_url, work, count=1, messages=messages)
        three = _replies_per_second(
            found, slack, model.base_url, work, count=REPLICAS, messages=messages
        )
    return [
        Figure(
            benchmark=NAME,
            measure=f"replies/s with {REPLICAS} replicas / with 1 (one PostgreSQL database)",
            value=three / one,
            unit="x",
            target=Target(),
            summary=f"{three:,.1f} vs {one:,.1f} replies/s ({messages} DMs each)",
            raw={"messages each": messages, "replies/s, 3 replicas": three, "replies/s, 1": one},
        )
    ]


def _replies_per_second(
    server_url: str, slack: SlackStandIn, model_url: str, work: Path, *, count: int, messages: int
) -> float:
    slack.reset()
    with database(server_url) as url, ExitStack() as replicas:
        for number in range(count):
            replicas.enter_context(_replica(slack, model_url, url, work, number))
            slack.wait_for_connections(number + 1, timeout=60)
        slack.spread_over_links()
        started = time.perf_counter()
        for n in range(messages):
            user = f"U0B{n:04d}"
            slack.add_user(user, f"Person {n}")
            slack.push_event(dm_message(f"hello {n}", user=user, channel=f"D0B{n:04d}"))
        slack.wait_for_calls("chat.postMessage", messages, timeout=300)
        took = time.perf_counter() - started
    progress(f"{count} replica(s): {messages} replies in {took:.2f} s")
    return messages / took


@contextmanager
def _replica(
    slack: SlackStandIn, model_url: str, url: str, work: Path, number: int
) -> Iterator[subprocess.Popen[str]]:
    environment = clean_environment(
        {
            "LUKAS_THREAD_PROBABILITY": "0",
            "LUKAS_REACTION_PROBABILITY": "0",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "LUKAS_SLACK_API_URL": slack.api_url,
            "OPENAI_API_KEY": MODEL_KEY,
            "LUKAS_LLM_API_BASE": model_url,
            "LUKAS_DB": url,
        }
    )
    with (work / f"replica-{number}.log").open("w") as sink:
        process = subprocess.Popen(
            [str(LUKAS), "slack"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=work,
            env=environment,
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
