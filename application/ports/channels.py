"""The chat platform's channels as Lukas watches them: found by name, reacted to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class ChannelDirectory(Protocol):
    async def resolve_channels(self, names_or_ids: Sequence[str]) -> Mapping[str, str]:
        """Each entry that names a channel, mapped to its id; entries not found are absent."""
        ...


class Reactions(Protocol):
    async def add_reaction(self, channel: str, ts: str, emoji: str) -> bool:
        """Put `emoji` on a message; whether the platform took it (never raises)."""
        ...
