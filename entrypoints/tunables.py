"""The settings admins may change, as configured: what the log's changes start from."""

from __future__ import annotations

from lukas.application.live_settings import Tunables
from lukas.domain.settings import LIVE_SETTINGS
from lukas.entrypoints.config import Config, value_of


def tunables(config: Config) -> Tunables:
    """The settings admins may change, as configured (before any change in the log)."""
    return Tunables(**{s.key: value_of(config, s) for s in LIVE_SETTINGS})
