"""Settings admins change while Lukas runs: the configured defaults folded with the
ConfigurationChanged events in the log.

The log is the memory, so a change survives restarts and reaches every instance: each
reader looks at the configuration stream's version and folds it again when it moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.domain import settings as table
from lukas.domain.check_ins import CheckInInterval
from lukas.domain.engagement import ActiveHours
from lukas.domain.events import ConfigurationChanged
from lukas.domain.setting_values import SettingError
from lukas.domain.settings import LIVE_SETTINGS, Setting

CONFIG_STREAM = "configuration"
_ROUNDS = 3

# The settings admins may change, by the key people name them with, and the environment
# variable each one is configured under (the name the log records): the live rows of the
# settings table.
TUNABLE_ENV: Mapping[str, str] = {s.key: s.env for s in LIVE_SETTINGS}
_KEY_OF_ENV = {env: key for key, env in TUNABLE_ENV.items()}
_QUOTES = "'\"\u2018\u2019\u201c\u201d"


class SettingRejected(SettingError):
    """A value that cannot be used, with the reason in words people understand."""


@attrs.frozen
class Tunables:
    """The live settings in force, typed. One field per live row of the settings table,
    with its default (a test holds the two together)."""

    dm_interval: str = table.DM_INTERVAL.default
    thread_probability: float = table.THREAD_PROBABILITY.default
    reaction_probability: float = table.REACTION_PROBABILITY.default
    active_hours: str = table.ACTIVE_HOURS.default
    monitored_channels: tuple[str, ...] = table.MONITORED_CHANNELS.default
    image_schedule: str = table.IMAGE_SCHEDULE.default

    def text_of(self, key: str) -> str:
        """The setting's value as the log records it and status shows it."""
        return _live(key).show(getattr(self, key))

    @property
    def interval(self) -> CheckInInterval:
        return CheckInInterval.parse(self.dm_interval)

    @property
    def hours(self) -> ActiveHours:
        return ActiveHours.parse(self.active_hours)


def _live(key: str) -> Setting[Any]:
    setting = table.BY_KEY.get(key)
    if setting is None or not setting.live:
        raise SettingRejected(f"{key!r} is not a setting admins can change here")
    return setting


def validated(key: str, raw: str) -> str:
    """The value as it will be recorded, or SettingRejected saying why it cannot be."""
    setting = _live(key)
    value = raw.strip().strip(_QUOTES).strip()
    if not value:
        raise SettingRejected("the new value is empty")
    try:
        return setting.show(setting.parse(value))
    except SettingError as error:
        raise SettingRejected(error.reason) from None


def with_change(tunables: Tunables, key: str, value: str) -> Tunables:
    """`tunables` with one setting set from its recorded text."""
    setting = _live(key)
    try:
        return attrs.evolve(tunables, **{key: setting.parse(value)})
    except SettingError as error:
        raise SettingRejected(error.reason) from None


@attrs.frozen
class RecordedChange:
    event: ConfigurationChanged
    at: dt.datetime


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
        self._version = -1
        self._current = defaults
        self._changes: dict[str, RecordedChange] = {}

    async def current(self) -> Tunables:
        await self._refresh()
        return self._current

    async def latest_changes(self) -> Mapping[str, RecordedChange]:
        """The last change of each setting that was changed, by key."""
        await self._refresh()
        return dict(self._changes)

    async def change(self, key: str, raw: str, by: str) -> ConfigurationChanged | None:
        """Records a new value; None when it is the value in force already.

        Raises SettingRejected for a value that cannot be used, saying why.
        """
        value = validated(key, raw)
        for _ in range(_ROUNDS):
            current = await self.current()
            old = current.text_of(key)
            if old == value:
                return None
            event = ConfigurationChanged(
                setting=TUNABLE_ENV[key], old_value=old, new_value=value, by=by
            )
            event_id = derive_event_id("configuration", str(self._version), repr(event))
            metadata = EventMetadata(event_id, None, self._instance_id)
            try:
                await self._store.append(
                    CONFIG_STREAM, [NewEvent(event_id, event, metadata)], self._version
                )
            except ConcurrencyError:
                continue  # another admin changed something just now: compare again
            return event
        raise SettingRejected("other changes kept arriving at the same moment; try again")

    async def _refresh(self) -> None:
        tail = await self._store.read_stream_tail(CONFIG_STREAM, 1)
        if (tail[-1].version if tail else 0) != self._version:
            self._fold(await self._store.read_stream(CONFIG_STREAM))

    def _fold(self, recorded: list[RecordedEvent]) -> None:
        current, changes = self.defaults, {}
        for r in recorded:
            event = r.event
            if not isinstance(event, ConfigurationChanged):
                continue
            key = _KEY_OF_ENV.get(event.setting)
            if key is None:
                continue
            try:
                current = with_change(current, key, validated(key, event.new_value))
            except SettingRejected:
                continue  # a value this version no longer accepts keeps the one before
            changes[key] = RecordedChange(event, r.recorded_at)
        # The version of what was folded: the expected version of the next change.
        version = recorded[-1].version if recorded else 0
        self._current, self._changes, self._version = current, changes, version
