"""Leadership through a PostgreSQL advisory lock: one leader at a time, handed over when
the leader's session dies, and a leader whose session broke stops leading."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import psycopg
import pytest

from lukas.adapters.postgres.leadership import PostgresLeadership

pytestmark = pytest.mark.anyio

QUICK = {"try_every": 0.05, "check_every": 0.05}


def leader_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as raw:
        rows = raw.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objid = (x'4C554B4100000003'::bigint & x'FFFFFFFF'::bigint)::oid"
            " AND objsubid = 1"
        ).fetchall()
    return [int(row[0]) for row in rows]


async def test_one_leads_and_another_takes_over_when_its_session_dies(postgres_url: str) -> None:
    running: list[str] = []
    first_leads, finished = anyio.Event(), anyio.Event()

    def work(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            running.append(name)
            first_leads.set()
            if name == "b":
                finished.set()
                return
            await anyio.sleep_forever()

        return run

    first = PostgresLeadership(postgres_url, **QUICK)
    second = PostgresLeadership(postgres_url, **QUICK)
    async with anyio.create_task_group() as group:
        group.start_soon(first.lead, work("a"))
        with anyio.fail_after(5):
            await first_leads.wait()
        group.start_soon(second.lead, work("b"))
        await anyio.sleep(0.3)
        assert running == ["a"]  # b waits while a leads
        (pid,) = leader_pids(postgres_url)
        with psycopg.connect(postgres_url, autocommit=True) as raw:
            raw.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        with anyio.fail_after(5):
            await finished.wait()
        group.cancel_scope.cancel()
    # a's session broke: a stopped leading; b took over and did its work.
    assert running[:2] == ["a", "b"]


async def test_a_leader_whose_session_broke_stops_its_work(postgres_url: str) -> None:
    cancelled = anyio.Event()
    started = anyio.Event()

    async def work() -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    leadership = PostgresLeadership(postgres_url, **QUICK)
    async with anyio.create_task_group() as group:
        group.start_soon(leadership.lead, work)
        with anyio.fail_after(5):
            await started.wait()
        (pid,) = leader_pids(postgres_url)
        with psycopg.connect(postgres_url, autocommit=True) as raw:
            raw.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        with anyio.fail_after(5):
            await cancelled.wait()
        group.cancel_scope.cancel()
