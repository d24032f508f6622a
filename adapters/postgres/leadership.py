"""Leadership through a PostgreSQL advisory lock (ADR 26): the leader holds a session-level
lock on a connection of its own; the others try for it every few seconds. When the
leader's process dies its session ends and the lock goes with it, so another takes over
within one try. A leader that loses its connection stops leading at once (its lock may
already be someone else's) and tries again like the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import psycopg

from lukas.adapters.postgres.connection import connect, describe
from lukas.adapters.postgres.schema import LEADER_LOCK
from lukas.application.ports.event_store import EventStoreError

log = logging.getLogger(__name__)

TRY_EVERY_SECONDS = 2.0
# How often the leader makes sure its session (and so its lock) still stands.
CHECK_EVERY_SECONDS = 2.0


class LeadershipLostError(Exception):
    pass


class PostgresLeadership:
    def __init__(
        self,
        url: str,
        *,
        try_every: float = TRY_EVERY_SECONDS,
        check_every: float = CHECK_EVERY_SECONDS,
    ) -> None:
        self._url = url
        self._try_every = try_every
        self._check_every = check_every

    async def lead(self, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                async with await connect(self._url, "taking the lead") as session:
                    await self._wait_to_lead(session)
                    log.warning("this process leads the schedulers in %s", describe(self._url))
                    await self._lead_while_held(session, work)
                    return
            except (EventStoreError, psycopg.OperationalError, LeadershipLostError) as error:
                log.warning(
                    "leadership in %s lost or not reachable: %s", describe(self._url), error
                )
                await anyio.sleep(self._try_every)

    async def _wait_to_lead(self, session: psycopg.AsyncConnection[Any]) -> None:
        while True:
            cursor = await session.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK])
            row = await cursor.fetchone()
            if row and row[0]:
                return
            await anyio.sleep(self._try_every)

    async def _lead_while_held(
        self, session: psycopg.AsyncConnection[Any], work: Callable[[], Awaitable[None]]
    ) -> None:
        async def watch() -> None:
            while True:
                await anyio.sleep(self._check_every)
                try:
                    await session.execute("SELECT 1")
                except psycopg.Error as error:
                    raise LeadershipLostError(type(error).__name__) from error

        try:
            async with anyio.create_task_group() as leading:
                leading.start_soon(watch)
                await work()
                leading.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            lost, rest = group.split(LeadershipLostError)
            if rest is not None or lost is None:
                raise
            raise LeadershipLostError("the leader's session broke") from group
