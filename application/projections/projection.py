"""Projections are folds over the log: an initial state and evolve(state, event) -> state.

Any projection can be rebuilt from position 0, or kept live by following a subscription;
both give the same state for the same events.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from lukas.application.ports.event_store import EventStore, RecordedEvent

State = TypeVar("State")
First = TypeVar("First")
Second = TypeVar("Second")
_BATCH = 1000


class Projection(Protocol[State]):
    def initial(self) -> State: ...

    def evolve(self, state: State, recorded: RecordedEvent) -> State: ...


async def rebuild(
    store: EventStore, projection: Projection[State], until_position: int | None = None
) -> tuple[State, int]:
    """The projection folded from position 0; returns the state and the last position read."""
    return await catch_up(store, projection, projection.initial(), 0, until_position)


async def catch_up(
    store: EventStore,
    projection: Projection[State],
    state: State,
    position: int,
    until_position: int | None = None,
) -> tuple[State, int]:
    """`state`, folded as far as `position`, brought up to date with the events after it."""
    while True:
        batch = await store.read_all(position, until_position, limit=_BATCH)
        for recorded in batch:
            state = projection.evolve(state, recorded)
            position = recorded.position
        if len(batch) < _BATCH:
            return state, position


class Both(Generic[First, Second]):
    """Two projections folded side by side, so one pass over the log serves both."""

    def __init__(self, first: Projection[First], second: Projection[Second]) -> None:
        self._first = first
        self._second = second

    def initial(self) -> tuple[First, Second]:
        return self._first.initial(), self._second.initial()

    def evolve(self, state: tuple[First, Second], recorded: RecordedEvent) -> tuple[First, Second]:
        return (
            self._first.evolve(state[0], recorded),
            self._second.evolve(state[1], recorded),
        )


class LiveProjection(Generic[State]):
    """A projection kept up to date by following the store's subscription."""

    def __init__(self, store: EventStore, projection: Projection[State]) -> None:
        self._store = store
        self._projection = projection
        self.state: State = projection.initial()
        self.position = 0

    async def follow(self) -> None:
        """Runs until cancelled."""
        async for recorded in self._store.subscribe(self.position):
            self.state = self._projection.evolve(self.state, recorded)
            self.position = recorded.position
