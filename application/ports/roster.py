"""The team's member list as the chat platform keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lukas.domain.roster import Member


class RosterUnavailable(Exception):
    """The platform could not list its members just now; try again at the next sync."""


class RosterSource(Protocol):
    async def list_members(self) -> Sequence[Member]:
        """Everyone in the workspace, bots and deactivated members included, complete.

        Raises RosterUnavailable rather than return part of the list: a partial list would
        read as members having left.
        """
        ...
