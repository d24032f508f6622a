"""Who people are on the chat platform: their display names, for Lukas to use."""

from __future__ import annotations

from typing import Protocol


class PeopleLookup(Protocol):
    async def display_name(self, person_id: str) -> str | None:
        """The name people see for this person, or None if the platform does not know them."""
        ...
