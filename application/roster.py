"""The team roster: synced from the chat platform into the log, read back as a projection.

Every change is an event in one stream, appended with the stream's expected version, so
two instances syncing at once record each change once: the loser re-reads and finds
nothing left to record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.application.ports.roster import RosterSource, RosterUnavailable
from lukas.application.projections.roster import ROSTER_STREAM, RosterProjection
from lukas.domain.events import DomainEvent
from lukas.domain.roster import Member, fold_roster, roster_changes

__all__ = ["ROSTER_STREAM", "RosterSync", "read_roster", "run_roster_sync"]

log = logging.getLogger(__name__)

_ROUNDS = 3


async def read_roster(store: EventStore) -> list[Member]:
    """Everyone Lukas knows of, in the order they first joined, leavers included."""
    projection = RosterProjection()
    roster = projection.initial()
    for recorded in await store.read_stream(ROSTER_STREAM):
        roster = projection.evolve(roster, recorded)
    return list(roster.values())


class RosterSync:
    def __init__(
        self, store: EventStore, source: RosterSource, instance_id: str | None = None
    ) -> None:
        self._store = store
        self._source = source
        self._instance_id = instance_id

    async def sync(self) -> list[DomainEvent]:
        """Records what changed since the last sync; returns those changes.

        Raises RosterUnavailable when the platform cannot list its members.
        """
        listed = await self._source.list_members()
        if not listed:
            # Every workspace lists at least its bots; an empty list is a fault upstream,
            # and recording it would have the whole team leave.
            raise RosterUnavailable("the platform listed nobody")
        for _ in range(_ROUNDS):
            recorded = await self._store.read_stream(ROSTER_STREAM)
            version = recorded[-1].version if recorded else 0
            changes = roster_changes(fold_roster(r.event for r in recorded), listed)
            if not changes:
                return []
            new = [
                NewEvent(
                    # The change itself is in the id: a rival's different batch at the same
                    # version must conflict, not pass as a duplicate of this one.
                    event_id := derive_event_id("roster", str(version), str(n), repr(change)),
                    change,
                    EventMetadata(event_id, None, self._instance_id),
                )
                for n, change in enumerate(changes)
            ]
            try:
                await self._store.append(ROSTER_STREAM, new, version)
            except ConcurrencyError:
                continue  # another instance synced just now; compare with what it recorded
            log.info("roster: %d change(s) recorded", len(changes))
            return changes
        log.warning("roster: other instances kept syncing; leaving this sync to them")
        return []


async def run_roster_sync(
    sync: RosterSync,
    every: dt.timedelta,
    sleep: Callable[[float], Awaitable[None]],
    first_wait: float = 0.0,
) -> None:
    """Syncs after `first_wait`, then every `every`; a platform that cannot list its
    members is asked again in a minute."""
    await sleep(first_wait)
    while True:
        try:
            await sync.sync()
            wait = every.total_seconds()
        except RosterUnavailable as error:
            log.warning("could not sync the roster: %s", error)
            wait = min(60.0, every.total_seconds())
        except Exception:
            # The log could not be read or written: the bot keeps answering meanwhile.
            log.warning("the roster sync failed; trying again in a minute", exc_info=True)
            wait = min(60.0, every.total_seconds())
        await sleep(wait)
