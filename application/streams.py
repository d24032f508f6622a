"""The one loop every decider runs in: read the stream, fold it, decide, append with the
expected version; after a conflict (another writer appended in between), read and decide
again.

Event ids are derived from the stream, the version decided at, the instance and the event
itself: the same instance deciding the same thing again (a retry after a crash) is absorbed
by the store, while a rival's different decision at the same version conflicts instead of
passing for a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.domain.decider import Decider
from lukas.domain.events import DomainEvent

Command = TypeVar("Command")
State = TypeVar("State")

# A few rounds settle any honest race; more means something keeps writing in a loop.
ROUNDS = 5


class StreamBusyError(Exception):
    """Other writers kept appending to the stream; nothing was decided."""


@attrs.frozen
class Decided(Generic[State]):
    events: tuple[DomainEvent, ...]  # what this call appended; empty: nothing new
    decided_on: State  # the stream's state the decision was made on
    version: int  # the stream's version after the call


EventIds = Callable[[str, int, DomainEvent], str]


@attrs.define
class Folded(Generic[State]):
    """A stream's state as far as `version`. Kept by a use case between decisions, so a
    long stream is folded once and each decision reads only what was appended since."""

    state: State
    version: int = 0


async def catch_up_stream(
    store: EventStore, stream: str, decider: Decider[Command, State], folded: Folded[State]
) -> Folded[State]:
    """`folded`, brought up to date with the events appended since its version."""
    for recorded in await store.read_stream(stream, folded.version + 1):
        # Two tasks may catch up one Folded at once; whichever finishes second must not
        # fold an event twice or move the version back.
        if recorded.version <= folded.version:
            continue
        folded.state = decider.evolve(folded.state, recorded.event, recorded.recorded_at)
        folded.version = recorded.version
    return folded


def derived_ids(instance_id: str | None) -> EventIds:
    def event_id(stream: str, version: int, event: DomainEvent) -> str:
        return derive_event_id(stream, str(version), instance_id or "", repr(event))

    return event_id


async def decide_on_stream(
    store: EventStore,
    stream: str,
    decider: Decider[Command, State],
    command: Command,
    metadata: EventMetadata,
    *,
    event_ids: EventIds | None = None,
    folded: Folded[State] | None = None,
) -> Decided[State]:
    """Decide `command` on the stream's current state and append what it decides.
    `folded`: the state kept from earlier calls (updated in place); None folds the whole
    stream."""
    ids = event_ids or derived_ids(metadata.instance_id)
    folded = folded if folded is not None else Folded(decider.initial)
    for _ in range(ROUNDS):
        await catch_up_stream(store, stream, decider, folded)
        state, version = folded.state, folded.version
        events = tuple(decider.decide(command, state))
        if not events:
            return Decided((), state, version)
        new = [
            NewEvent(ids(stream, version + n, event), event, metadata)
            for n, event in enumerate(events, 1)
        ]
        try:
            result = await store.append(stream, new, version)
        except ConcurrencyError:
            continue
        if result.was_duplicate:
            # Decided and appended before (a retry): as recorded, nothing new.
            return Decided((), state, result.stream_version)
        return Decided(events, state, result.stream_version)
    raise StreamBusyError(f"{stream}: other writers kept appending ({ROUNDS} rounds)")


async def state_of(
    store: EventStore, stream: str, decider: Decider[Command, State]
) -> tuple[State, int]:
    """The stream's state and version, for reading without deciding."""
    folded = await catch_up_stream(store, stream, decider, Folded(decider.initial))
    return folded.state, folded.version
