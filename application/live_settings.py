"""Settings admins change while Lukas runs: the configured defaults with the changes
recorded in the `configuration` stream, whose rules are in domain/configuration.py.

The log is the memory, so a change survives restarts and reaches every instance: each
reader reads what was appended to the stream since it last looked, and works the settings
in force out again only when there was something.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import anyio

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.streams import Folded, StreamBusyError, catch_up_stream, decide_on_stream
from lukas.domain.configuration import (
    CONFIG_STREAM,
    CONFIGURATION,
    TUNABLE_ENV,
    ChangeSetting,
    Configuration,
    RecordedChange,
    SettingRejected,
    Tunables,
    validated,
    with_change,
)
from lukas.domain.events import ConfigurationChanged

# Read from here by the rest of Lukas and its tests; the rules moved to the domain.
__all__ = [
    "CONFIG_STREAM",
    "TUNABLE_ENV",
    "LiveSettings",
    "RecordedChange",
    "SettingRejected",
    "SettingsSource",
    "Tunables",
    "validated",
    "with_change",
]


class SettingsSource(Protocol):
    async def current(self) -> Tunables: ...


class LiveSettings:
    """The settings in force: configured defaults, then every change admins recorded.

    Implements SettingsSource for the parts of Lukas that read settings as they run.
    """

    def __init__(
        self, store: EventStore, defaults: Tunables, instance_id: str | None = None
    ) -> None:
        self._store = store
        self.defaults = defaults
        self._instance_id = instance_id
        # One task at a time brings the state up to date, or two would fold the same events.
        self._reading = anyio.Lock()
        self._folded: Folded[Configuration] = Folded(CONFIGURATION.initial)
        self._current = defaults
        self._current_at = 0  # the version `_current` was worked out at

    async def current(self) -> Tunables:
        async with self._reading:
            await catch_up_stream(self._store, CONFIG_STREAM, CONFIGURATION, self._folded)
            if self._folded.version != self._current_at:
                self._current = self._folded.state.in_force(self.defaults)
                self._current_at = self._folded.version
            return self._current

    async def latest_changes(self) -> Mapping[str, RecordedChange]:
        """The last change of each setting that was changed, by key."""
        async with self._reading:
            folded = await catch_up_stream(self._store, CONFIG_STREAM, CONFIGURATION, self._folded)
            return dict(folded.state.changes)

    async def change(self, key: str, raw: str, by: str) -> ConfigurationChanged | None:
        """Records a new value; None when it is the value in force already.

        Raises SettingRejected for a value that cannot be used, saying why.
        """
        command = ChangeSetting(key=key, raw=raw, by=by, defaults=self.defaults)
        asked = derive_event_id("configuration-change", key, raw, by)
        try:
            async with self._reading:
                decided = await decide_on_stream(
                    self._store,
                    CONFIG_STREAM,
                    CONFIGURATION,
                    command,
                    EventMetadata(asked, None, self._instance_id),
                    folded=self._folded,
                )
        except StreamBusyError:
            raise SettingRejected(
                "other changes kept arriving at the same moment; try again"
            ) from None
        changed = [e for e in decided.events if isinstance(e, ConfigurationChanged)]
        return changed[0] if changed else None
