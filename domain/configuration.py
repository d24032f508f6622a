"""The settings admins change while Lukas runs: the rules of the `configuration` stream.

A change is checked against the settings table (domain/settings.py) and recorded with the
value it replaces, unless that value is already in force. The stream's state is the last
change of each setting that this version of Lukas still accepts; the configured defaults,
which differ from one installation to the next, come in with the command and with
`Configuration.in_force`, so the rules are the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lukas.domain import settings as table
from lukas.domain.check_ins import CheckInInterval
from lukas.domain.decider import Decider
from lukas.domain.engagement import ActiveHours
from lukas.domain.events import ConfigurationChanged, DomainEvent
from lukas.domain.setting_values import SettingError
from lukas.domain.settings import LIVE_SETTINGS, Setting

CONFIG_STREAM = "configuration"

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
    at: dt.datetime  # when it was recorded


@attrs.frozen
class Configuration:
    # The last change of each setting, by key, whose value this version accepts.
    changes: Mapping[str, RecordedChange] = attrs.field(factory=dict)

    def in_force(self, defaults: Tunables) -> Tunables:
        current = defaults
        for key, change in self.changes.items():
            current = with_change(current, key, validated(key, change.event.new_value))
        return current


@attrs.frozen(kw_only=True)
class ChangeSetting:
    key: str  # as people name it, e.g. thread_probability
    raw: str  # as the admin typed it
    by: str
    defaults: Tunables  # as configured: in force until a change is recorded


def decide(command: ChangeSetting, state: Configuration) -> Sequence[DomainEvent]:
    """Raises SettingRejected, saying why, for a value that cannot be used."""
    value = validated(command.key, command.raw)
    old = state.in_force(command.defaults).text_of(command.key)
    if old == value:
        return []
    return [
        ConfigurationChanged(
            setting=TUNABLE_ENV[command.key], old_value=old, new_value=value, by=command.by
        )
    ]


def evolve(state: Configuration, event: DomainEvent, at: dt.datetime) -> Configuration:
    if not isinstance(event, ConfigurationChanged):
        return state
    key = _KEY_OF_ENV.get(event.setting)
    if key is None:
        return state  # a setting this version no longer lets admins change
    try:
        validated(key, event.new_value)
    except SettingRejected:
        return state  # a value this version no longer accepts keeps the one before
    return Configuration({**state.changes, key: RecordedChange(event, at)})


CONFIGURATION: Decider[ChangeSetting, Configuration] = Decider(Configuration(), decide, evolve)
