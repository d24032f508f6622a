"""The team roster: synced from the chat platform into the log, read back as a projection.

Every change is an event in one stream, decided by the roster's rules (domain/roster.py)
and appended by the runner with the stream's expected version, so two instances syncing at
once record each change once: the loser re-reads and finds nothing left to record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.ports.roster import RosterSource, RosterUnavailable
from lukas.application.projections.roster import ROSTER_STREAM, RosterProjection
from lukas.application.streams import Folded, StreamBusyError, decide_on_stream
from lukas.domain.events import DomainEvent
from lukas.domain.roster import ROSTER, Member, Roster, SyncRoster

__all__ = ["ROSTER_STREAM", "RosterSync", "read_roster", "run_roster_sync"]

log = logging.getLogger(__name__)


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
        # Kept between syncs: the roster is folded once, then each sync reads what is new.
        self._folded: Folded[Roster] = Folded(ROSTER.initial)

    async def sync(self) -> list[DomainEvent]:
        """Records what changed since the last sync; returns those changes.

        Raises RosterUnavailable when the platform cannot list its members.
        """
        listed = tuple(await self._source.list_members())
        if not listed:
            # The rules would record nothing; the caller should hear that the platform failed.
            raise RosterUnavailable("the platform listed nobody")
        cause = derive_event_id("roster-listing", repr(listed))
        try:
            decided = await decide_on_stream(
                self._store,
                ROSTER_STREAM,
                ROSTER,
                SyncRoster(listed),
                EventMetadata(cause, None, self._instance_id),
                folded=self._folded,
            )
        except StreamBusyError:
            log.warning("roster: other instances kept syncing; leaving this sync to them")
            return []
        if decided.events:
            log.info("roster: %d change(s) recorded", len(decided.events))
        return list(decided.events)


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
