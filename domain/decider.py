"""A stream's rules as three pure things: where it starts, what a command decides, and how
an event changes the state. The runner (application/streams.py) reads, folds, decides and
appends with the expected version; the rules know nothing of storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

import attrs

from lukas.domain.events import DomainEvent

Command = TypeVar("Command")
State = TypeVar("State")

# When the event was recorded: some rules ask how long ago something happened.
Evolve = Callable[[State, DomainEvent, dt.datetime], State]


@attrs.frozen
class Decider(Generic[Command, State]):
    initial: State
    decide: Callable[[Command, State], Sequence[DomainEvent]]
    evolve: Evolve[State]

    def fold(self, recorded: Iterable[tuple[DomainEvent, dt.datetime]]) -> State:
        state = self.initial
        for event, at in recorded:
            state = self.evolve(state, event, at)
        return state
