"""Three `lukas slack` replicas on one PostgreSQL database: the stand-in Slack spreads 200
DMs (two from each of 100 people, so replicas meet in one conversation) over their
sockets, one replica is killed with SIGKILL a third of the way in (what it had not
acknowledged is sent again to the others), and every message is answered exactly once:
by whichever replica took it, or, for what the dead one had recorded, by the others'
recovery once its lease in the database is gone (ADR 26)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from drivers.lukas_cli import LUKAS
from drivers.lukas_slack import slack_environment
from standins.openai_server import OpenAIStandIn
from standins.slack_server import SlackStandIn, dm_message

from lukas.adapters.postgres.instances import LEASE_CLASS

pytestmark = pytest.mark.slow

MESSAGES = 200
PEOPLE = 100
REPLICAS = 3
# The survivors' recovery runs every 60 s; then a few seconds to answer what was left.
ANSWERED_WITHIN = 150


@contextmanager
def replica(
    slack: SlackStandIn, model: OpenAIStandIn, url: str, work: Path, number: int
) -> Iterator[subprocess.Popen[str]]:
    log = work / f"replica-{number}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(LUKAS), "slack"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=work,
            env=slack_environment(slack, model, work / "unused.db", {"LUKAS_DB": url}),
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def channel(n: int) -> str:
    return f"D0R{n % PEOPLE:03d}"


def push(slack: SlackStandIn, numbers: range) -> list[str]:
    """Message n comes from person n % PEOPLE: each person's two are 100 apart."""
    envelopes = []
    for n in numbers:
        user = f"U0R{n % PEOPLE:03d}"
        slack.add_user(user, f"Person {n % PEOPLE}")
        # The stand-in's own clock: a reply sorts after its message, as recovery's look at
        # the channel's history for a reply posted by a replica that died expects.
        message = dm_message(f"hello {n}", user=user, channel=channel(n))
        envelopes.append(slack.push_event(message))
    return envelopes


def test_three_replicas_answer_200_dms_exactly_once_though_one_is_killed(
    slack_standin: SlackStandIn,
    openai_standin: OpenAIStandIn,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    with ExitStack() as replicas:
        processes = []
        for number in range(REPLICAS):
            processes.append(
                replicas.enter_context(
                    replica(slack_standin, openai_standin, postgres_url, tmp_path, number)
                )
            )
            slack_standin.wait_for_connections(number + 1, timeout=60)
        slack_standin.spread_over_links()

        first = push(slack_standin, range(MESSAGES // 3))
        for envelope in first:
            slack_standin.wait_for_ack(envelope, timeout=60)
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(timeout=10)
        push(slack_standin, range(MESSAGES // 3, MESSAGES))

        slack_standin.wait_for_calls("chat.postMessage", MESSAGES, timeout=ANSWERED_WITHIN)
        time.sleep(3)  # time for anything answered twice to show
        alive = [p.poll() is None for p in processes[1:]]

    replies = Counter(str(call.args["channel"]) for call in slack_standin.posted_messages())
    not_two = {c: n for c, n in replies.items() if n != MESSAGES // PEOPLE}
    assert not_two == {}
    assert set(replies) == {channel(n) for n in range(MESSAGES)}
    assert alive == [True, True]
    with psycopg.connect(postgres_url) as raw:
        received_by = raw.execute(
            "SELECT metadata->>'instance_id', count(*) FROM lukas.events"
            " WHERE type = 'InboundReceived' GROUP BY 1"
        ).fetchall()
        answered_by = raw.execute(
            "SELECT count(DISTINCT metadata->>'instance_id') FROM lukas.events"
            " WHERE type = 'ReplyDelivered'"
        ).fetchone()
        # Each message once in the log, and delivered once.
        counts = raw.execute(
            "SELECT type, count(*) FROM lukas.events"
            " WHERE type IN ('MessageReceived', 'ReplyDelivered') GROUP BY 1 ORDER BY 1"
        ).fetchall()
    print(f"received by {received_by}; delivered by {answered_by} replicas")  # pytest -s
    # Every replica took its share of the envelopes, the killed one too.
    assert len(received_by) == REPLICAS
    assert sum(count for _, count in received_by) == MESSAGES
    assert counts == [("MessageReceived", MESSAGES), ("ReplyDelivered", MESSAGES)]


def test_a_replica_that_lost_its_lease_stops_with_one_line(
    slack_standin: SlackStandIn,
    openai_standin: OpenAIStandIn,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    with replica(slack_standin, openai_standin, postgres_url, tmp_path, 0) as process:
        slack_standin.wait_for_connections(1, timeout=60)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
                " WHERE locktype = 'advisory' AND classid = %s::oid AND objsubid = 2",
                [LEASE_CLASS],
            )
        assert process.wait(timeout=30) == 1
    last = (tmp_path / "replica-0.log").read_text().splitlines()[-1]
    assert last.startswith("lukas: lost this process's lease in postgresql://")
