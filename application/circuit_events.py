"""Records the chat model's circuit breaker opening and closing, so `lukas replay` shows why
replies stopped reaching the model and when they resumed."""

from __future__ import annotations

from lukas.application.identity import derive_event_id
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.domain.events import CircuitStateChanged


class CircuitRecorder:
    def __init__(self, store: EventStore, clock: Clock, instance_id: str | None = None) -> None:
        self._store = store
        self._clock = clock
        self._instance_id = instance_id

    async def record(self, dependency: str, previous: str, current: str, detail: str) -> None:
        stream = f"circuit:{dependency}"
        at = self._clock.now().isoformat()
        event_id = derive_event_id(
            "circuit", dependency, previous, current, at, self._instance_id or ""
        )
        event = CircuitStateChanged(
            dependency=dependency, previous=previous, current=current, detail=detail
        )
        # Each process has its own breaker; its changes are facts, never in conflict.
        await self._store.append(
            stream,
            [NewEvent(event_id, event, EventMetadata(event_id, None, self._instance_id))],
            None,
        )
