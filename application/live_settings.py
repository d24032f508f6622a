"""Settings admins change while Lukas runs: the configured defaults folded with the
ConfigurationChanged events in the log.

The log is the memory, so a change survives restarts and reaches every instance: each
reader looks at the configuration stream's version and folds it again when it moved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Protocol

import attrs

from lukas.application.identity import derive_event_id
from lukas.application.picture_schedule import ScheduleError, WeeklySchedule
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.domain.check_ins import CheckInInterval
from lukas.domain.engagement import ActiveHours, ActiveHoursError
from lukas.domain.events import ConfigurationChanged
from lukas.domain.requests import channel_reference, is_channel_id

CONFIG_STREAM = "configuration"
_ROUNDS = 3

# The settings admins may change, by the key people name them with, and the environment
# variable each one is configured under (the name the log records).
TUNABLE_ENV: Mapping[str, str] = {
    "dm_interval": "LUKAS_DM_INTERVAL",
    "thread_probability": "LUKAS_THREAD_PROBABILITY",
    "reaction_probability": "LUKAS_REACTION_PROBABILITY",
    "image_schedule": "LUKAS_IMAGE_SCHEDULE",
    "active_hours": "LUKAS_ACTIVE_HOURS",
    "monitored_channels": "LUKAS_MONITORED_CHANNELS",
}
_KEY_OF_ENV = {env: key for key, env in TUNABLE_ENV.items()}
_QUOTES = "'\"\u2018\u2019\u201c\u201d"


class SettingRejected(ValueError):
    """A value that cannot be used, with the reason in words people understand."""


@attrs.frozen
class Tunables:
    dm_interval: str = "24h-48h"
    thread_probability: float = 0.20
    reaction_probability: float = 0.15
    image_schedule: str = "fri 10:00"
    active_hours: str = "08:00-18:00"
    monitored_channels: tuple[str, ...] = ("general",)

    def text_of(self, key: str) -> str:
        value = getattr(self, key)
        if isinstance(value, float):
            return f"{value:g}"  # as validated values are recorded: 0.5, never 0.50
        return ", ".join(value) if isinstance(value, tuple) else str(value)

    @property
    def interval(self) -> CheckInInterval:
        return CheckInInterval.parse(self.dm_interval)

    @property
    def hours(self) -> ActiveHours:
        return ActiveHours.parse(self.active_hours)


def validated(key: str, raw: str) -> str:
    """The value as it will be recorded, or SettingRejected saying why it cannot be."""
    check = _VALIDATORS.get(key)
    if check is None:
        raise SettingRejected(f"{key!r} is not a setting admins can change here")
    value = raw.strip().strip(_QUOTES).strip()
    if not value:
        raise SettingRejected("the new value is empty")
    return check(value)


def _probability(value: str) -> str:
    text = value.removesuffix("%").strip()
    try:
        number = float(text) / (100 if value.endswith("%") else 1)
    except ValueError:
        raise SettingRejected(f"{value!r} is not a number; use e.g. 0.25 or 25%") from None
    if not 0.0 <= number <= 1.0:
        raise SettingRejected(f"a probability must be between 0 and 1, and {value} is not")
    return f"{number:g}"


def _interval(value: str) -> str:
    try:
        return CheckInInterval.parse(value).text
    except ValueError as error:
        raise SettingRejected(str(error)) from None


def _schedule(value: str) -> str:
    try:
        WeeklySchedule.parse(value, dt.UTC)
    except ScheduleError as error:
        raise SettingRejected(str(error)) from None
    return " ".join(value.lower().split())


def _hours(value: str) -> str:
    try:
        ActiveHours.parse(value)
    except ActiveHoursError as error:
        raise SettingRejected(str(error)) from None
    return value.strip().lower() if value.strip().lower() == "always" else value.strip()


def _channels(value: str) -> str:
    entries = [e for e in re.split(r"[,\s]+", value) if e]
    entries = [_channel_entry(e) for e in entries]
    if not entries:
        raise SettingRejected("name at least one channel, e.g. #general")
    return ", ".join(dict.fromkeys(entries))


def _channel_entry(entry: str) -> str:
    """A channel id as it is, or a name as "#name"."""
    reference = channel_reference(entry)
    if reference is None:
        raise SettingRejected(f"{entry!r} is not a channel name or id")
    return reference if is_channel_id(reference) else f"#{reference}"


_VALIDATORS: Mapping[str, Callable[[str], str]] = {
    "dm_interval": _interval,
    "thread_probability": _probability,
    "reaction_probability": _probability,
    "image_schedule": _schedule,
    "active_hours": _hours,
    "monitored_channels": _channels,
}


def with_change(tunables: Tunables, key: str, value: str) -> Tunables:
    """`tunables` with one setting set from its recorded text."""
    match key:
        case "thread_probability":
            return attrs.evolve(tunables, thread_probability=float(value))
        case "reaction_probability":
            return attrs.evolve(tunables, reaction_probability=float(value))
        case "monitored_channels":
            return attrs.evolve(tunables, monitored_channels=tuple(value.split(", ")))
        case "dm_interval":
            return attrs.evolve(tunables, dm_interval=value)
        case "image_schedule":
            return attrs.evolve(tunables, image_schedule=value)
        case "active_hours":
            return attrs.evolve(tunables, active_hours=value)
    raise SettingRejected(f"{key!r} is not a setting admins can change here")


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
