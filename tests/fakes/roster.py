from __future__ import annotations

from collections.abc import Iterable

from lukas.application.ports.roster import RosterUnavailable
from lukas.domain.roster import Member


class FakeRoster:
    """The workspace's member list, held as given; can be made unavailable. Counts listings."""

    def __init__(self, members: Iterable[Member] = ()) -> None:
        self.members: list[Member] = list(members)
        self.unavailable = False
        self.calls = 0

    async def list_members(self) -> list[Member]:
        self.calls += 1
        if self.unavailable:
            raise RosterUnavailable("the fake platform is down")
        # A copy: a caller keeping the listing must not see later changes to the roster.
        return list(self.members)
