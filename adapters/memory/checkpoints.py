"""Checkpoints in memory, kept as the JSON the SQLite adapter would store, so a state that
could not be saved for real fails here too, and no caller shares a saved state."""

from __future__ import annotations

from lukas.adapters.checkpoint_codec import CheckpointCodec
from lukas.application.ports.checkpoints import CheckpointSpec, Saved, State


class InMemoryCheckpoints:
    def __init__(self) -> None:
        self._codec = CheckpointCodec()
        self._rows: dict[str, tuple[int, int, str]] = {}

    async def load(self, spec: CheckpointSpec[State]) -> Saved[State] | None:
        row = self._rows.get(spec.name)
        if row is None or row[0] != spec.version:
            return None
        try:
            return Saved(row[1], self._codec.decode(spec, row[2]))
        except ValueError:
            return None

    async def save(self, spec: CheckpointSpec[State], saved: Saved[State]) -> None:
        self._rows[spec.name] = (
            spec.version,
            saved.position,
            self._codec.encode(spec, saved.state),
        )

    async def scrub(self) -> None:
        self._rows.clear()


class NoCheckpoints:
    """Where none can be kept (a log that cannot be written, one that is not there yet):
    nothing is found and nothing is kept, so every projection folds from the start."""

    async def load(self, spec: CheckpointSpec[State]) -> Saved[State] | None:
        return None

    async def save(self, spec: CheckpointSpec[State], saved: Saved[State]) -> None:
        return None

    async def scrub(self) -> None:
        return None
