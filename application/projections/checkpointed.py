"""A projection folded from its last checkpoint instead of from position 0.

The state a process needs at start (pending work, statistics, the conversation list) would
otherwise cost a fold of the whole log each time: tens of seconds at a million events. The
checkpoint is saved again once enough new events were folded, and when the holder asks (at
the end of a command, at shutdown), so the next start folds only what came after it.
"""

from __future__ import annotations

import logging
from typing import Generic

from lukas.application.ports.checkpoints import (
    CheckpointError,
    Checkpoints,
    CheckpointSpec,
    Saved,
    State,
)
from lukas.application.ports.event_store import EventStore
from lukas.application.projections.projection import Projection, catch_up

log = logging.getLogger(__name__)

# Saving costs one encode of the state and one small write; folding 10,000 events costs
# far more, so a start never folds more than about this many events beyond a checkpoint.
SAVE_EVERY = 10_000


async def save_quietly(
    checkpoints: Checkpoints, spec: CheckpointSpec[State], saved: Saved[State]
) -> bool:
    """Saves; False, logged, when it could not: a checkpoint only ever saves time."""
    try:
        await checkpoints.save(spec, saved)
    except CheckpointError as error:
        log.info("%s", error)
        return False
    return True


class CheckpointedProjection(Generic[State]):
    def __init__(
        self,
        store: EventStore,
        checkpoints: Checkpoints,
        projection: Projection[State],
        spec: CheckpointSpec[State],
        save_every: int = SAVE_EVERY,
    ) -> None:
        self._store = store
        self._checkpoints = checkpoints
        self._projection = projection
        self._spec = spec
        self._save_every = save_every
        self._state: State | None = None
        self._position = 0
        self._saved_position = 0
        self._drops = 0  # how many times the state was let go of

    def drop_held(self) -> None:
        """Lets go of the state: after a person was forgotten it is folded again (the
        checkpoints were scrubbed), with their words reading as forgotten."""
        self._state = None
        self._position = self._saved_position = 0
        self._drops += 1

    async def current(self) -> tuple[State, int]:
        """The state folded up to the log's end, and the last position folded."""
        while True:
            drops = self._drops
            known = self._state
            state: State = known if known is not None else await self._from_checkpoint()
            state, position = await catch_up(self._store, self._projection, state, self._position)
            if drops == self._drops:
                break
            # Let go of while folding (keys were deleted): what was folded may hold words
            # that are forgotten now, so the fold starts again.
        self._state, self._position = state, position
        if self._position - self._saved_position >= self._save_every:
            await self.save()
        return state, self._position

    async def save(self) -> None:
        """Saves the state if it moved since the last save; a failure is logged, not raised:
        without a checkpoint the next start only folds more."""
        if self._state is None or self._position == self._saved_position:
            return
        if await save_quietly(self._checkpoints, self._spec, Saved(self._position, self._state)):
            self._saved_position = self._position

    async def _from_checkpoint(self) -> State:
        saved = await self._checkpoints.load(self._spec)
        if saved is None:
            return self._projection.initial()
        self._position = self._saved_position = saved.position
        return saved.state
