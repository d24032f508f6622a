"""Which Lukas processes are running, so work left by a dead one can be taken over.

Each process holds a lease on its own id for as long as it lives; the operating system
drops it when the process ends, however it ends.
"""

from __future__ import annotations

from typing import Protocol


class Instances(Protocol):
    """Instance ids are 1 to 64 ASCII letters, digits, '_' or '-' (they name lock files)."""

    @property
    def me(self) -> str:
        """This process's instance id."""
        ...

    def is_alive(self, instance_id: str) -> bool:
        """True while the process with that id runs (always True for `me`)."""
        ...
