"""The checkpoint port: a projection's folded state and the log position it reflects, kept
beside the log so that a process starts from there instead of from position 0.

A checkpoint is a cache of a fold, never a fact: losing one costs a rebuild, nothing else.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

import attrs

State = TypeVar("State")


@attrs.frozen
class CheckpointSpec(Generic[State]):
    """Which checkpoint, and what it must hold to be used."""

    name: str
    # Bumped whenever the fold or the state's shape changes: a checkpoint saved under
    # another version was folded by other code, so it is ignored and the state rebuilt.
    version: int
    # The state's type, for the adapter to restore it (a class or a generic alias such as
    # dict[str, X], which no TypeVar bound can express).
    state_type: Any


@attrs.frozen
class Saved(Generic[State]):
    position: int  # the last log position folded into `state`
    state: State


class CheckpointError(Exception):
    """Saving a checkpoint failed. Callers go on without it: it only saves time."""


class Checkpoints(Protocol):
    async def load(self, spec: CheckpointSpec[State]) -> Saved[State] | None:
        """The checkpoint saved under the spec's name and version, or None: never saved, saved
        by another version, or unreadable (a checkpoint is only ever a shortcut)."""
        ...

    async def save(self, spec: CheckpointSpec[State], saved: Saved[State]) -> None:
        """Replaces the checkpoint of that name. The state is copied: the caller may go on
        folding into it. Raises CheckpointError when it cannot be written."""
        ...

    async def scrub(self) -> None:
        """Deletes every checkpoint, leaving no byte of their states in the files: after a
        person is forgotten, a state that held their words must be folded again. Raises
        CheckpointError when it cannot promise that."""
        ...
