"""A decider's folded stream that starts from its checkpoint (ADR 18).

The reminder book and the check-in schedule keep every reminder and turn ever recorded;
their streams grow for as long as a team keeps Lukas. The state is saved, with the stream
version it reflects, once enough new events were folded, so a start reads only the rest.
"""

from __future__ import annotations

from typing import Generic

from lukas.application.ports.checkpoints import (
    Checkpoints,
    CheckpointSpec,
    Saved,
    State,
)
from lukas.application.projections.checkpointed import save_quietly
from lukas.application.streams import Folded

# Stream events are few and slow to come (a reminder, a check-in); a start that folds a
# few hundred of them costs milliseconds.
SAVE_EVERY = 200


class KeptStream(Generic[State]):
    """Holds a `Folded` for the decider runner; `folded()` before each use, `keep()` after."""

    def __init__(
        self,
        checkpoints: Checkpoints,
        spec: CheckpointSpec[State],
        initial: State,
        save_every: int = SAVE_EVERY,
    ) -> None:
        self._checkpoints = checkpoints
        self._spec = spec
        self._save_every = save_every
        self._initial = initial
        self._folded = Folded(initial)
        self._loaded = False
        self._saved_version = 0

    def drop_held(self) -> None:
        """Lets go of the state, as CheckpointedProjection.drop_held does."""
        self._folded = Folded(self._initial)
        self._loaded = False
        self._saved_version = 0

    async def folded(self) -> Folded[State]:
        """The kept state; the first call starts it from the checkpoint (the version stands
        for the position: a stream's own count)."""
        if not self._loaded:
            self._loaded = True
            saved = await self._checkpoints.load(self._spec)
            if saved is not None and saved.position > self._folded.version:
                self._folded.state, self._folded.version = saved.state, saved.position
                self._saved_version = saved.position
        return self._folded

    async def keep(self) -> None:
        """Saves the state once it has moved far enough; a failure only costs time later."""
        version = self._folded.version
        if version - self._saved_version < self._save_every:
            return
        if await save_quietly(self._checkpoints, self._spec, Saved(version, self._folded.state)):
            self._saved_version = version
