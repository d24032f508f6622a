"""Retention: the keys of periods older than LUKAS_RETENTION_DAYS are deleted at start and
every hour after, so old words are forgotten for everyone (ADR 27)."""

from __future__ import annotations

import logging

import anyio

from lukas.application.forgetting import Forgetting
from lukas.application.ports.data_keys import DataKeyError

log = logging.getLogger(__name__)

# A period is a week: an hourly look drops each within the hour it falls out of retention.
EVERY_SECONDS = 3600.0


class Retention:
    def __init__(
        self, forgetting: Forgetting, days: int, every_seconds: float = EVERY_SECONDS
    ) -> None:
        self._forgetting = forgetting
        self._days = days
        self._every = every_seconds

    async def apply(self) -> int:
        """Deletes what retention no longer keeps; how many keys went."""
        return await self._forgetting.apply_retention(self._days)

    async def run(self) -> None:
        """Applies retention every hour (the start applies it once before this); never
        returns."""
        while True:
            await anyio.sleep(self._every)
            try:
                await self.apply()
            except DataKeyError as error:
                log.warning("retention not applied, trying again in an hour: %s", error)
