from __future__ import annotations

import re
from collections.abc import Iterable

# The file adapter's rule, repeated so that use-case tests meet a bad id as production would.
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _checked(instance_id: str) -> str:
    if not _VALID_ID.fullmatch(instance_id):
        raise ValueError(
            f"invalid instance id {instance_id!r}: use 1 to 64 ASCII letters, digits, '_' or '-'"
        )
    return instance_id


class FakeInstances:
    """This process plus whichever others a test says are running."""

    def __init__(self, me: str = "instance-a", alive: Iterable[str] = ()) -> None:
        self._me = _checked(me)
        self._alive = {_checked(other) for other in alive}

    @property
    def me(self) -> str:
        return self._me

    def is_alive(self, instance_id: str) -> bool:
        return _checked(instance_id) == self._me or instance_id in self._alive

    def kill(self, instance_id: str) -> None:
        if _checked(instance_id) == self._me:
            raise ValueError("the fake's own instance is always alive; make another FakeInstances")
        self._alive.discard(instance_id)

    def revive(self, instance_id: str) -> None:
        self._alive.add(_checked(instance_id))
