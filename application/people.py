"""People's names, looked up on the platform once and remembered in the log for a day."""

from __future__ import annotations

import logging
from datetime import timedelta

from lukas.application.identity import derive_event_id
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.ports.people import PeopleLookup
from lukas.domain.events import DomainEvent, PersonNamed
from lukas.domain.personal_data import is_forgotten

log = logging.getLogger(__name__)


class PeopleDirectory:
    def __init__(
        self,
        *,
        store: EventStore,
        lookup: PeopleLookup,
        clock: Clock,
        refresh_after: timedelta = timedelta(days=1),
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._lookup = lookup
        self._clock = clock
        self._refresh_after = refresh_after
        self._instance_id = instance_id
        # Read from the log once per process, then kept; the log stays the memory.
        self._known: dict[str, tuple[str, float]] = {}

    def drop_held(self) -> None:
        """Lets go of the names kept: a forgotten person's is looked up again."""
        self._known.clear()

    async def name_of(self, person_id: str) -> str:
        """The person's display name; their id when the platform cannot say."""
        now = self._clock.now()
        cached = self._known.get(person_id)
        if cached is not None and now.timestamp() - cached[1] < self._refresh_after.total_seconds():
            return cached[0]
        stream = f"person:{person_id}"
        tail = await self._store.read_stream_tail(stream, 1)
        recent = tail and now - tail[-1].recorded_at < self._refresh_after
        if recent and not is_forgotten(_named(tail[-1].event)):
            event = tail[-1].event
            assert isinstance(event, PersonNamed)
            self._known[person_id] = (event.display_name, tail[-1].recorded_at.timestamp())
            return event.display_name
        name = await self._lookup.display_name(person_id)
        if name is None:
            remembered = _named(tail[-1].event) if tail else None
            return remembered if remembered and not is_forgotten(remembered) else person_id
        version = tail[-1].version if tail else 0
        event_id = derive_event_id("person", person_id, str(version + 1))
        metadata = EventMetadata(event_id, None, self._instance_id)
        # A conflict only means another process looked the same person up just now.
        await self._store.append(
            stream,
            [NewEvent(event_id, PersonNamed(person_id=person_id, display_name=name), metadata)],
            None,
        )
        self._known[person_id] = (name, now.timestamp())
        return name


def _named(event: DomainEvent) -> str | None:
    return event.display_name if isinstance(event, PersonNamed) else None
