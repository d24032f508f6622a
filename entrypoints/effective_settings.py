"""Each setting's value in force and where it came from, as `lukas config show` prints it and
the web page's settings form shows it: the default, lukas.toml, the environment, or an
admin's change recorded in the log (which wins over the others)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from lukas.application.live_settings import TUNABLE_ENV, LiveSettings, RecordedChange
from lukas.application.ports.event_store import EventStore
from lukas.entrypoints.config import SETTINGS, LoadedConfig, value_of
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.store_and_tokens import log_exists, open_store
from lukas.entrypoints.tunables import tunables


@attrs.frozen
class SettingRow:
    env: str
    label: str
    value: str
    source: str  # in words: "default", "environment", "changed by web:admin at ...; ..."
    live: bool  # admins may change it while Lukas runs
    hint: str
    changed_by: str | None = None


def setting_rows(
    loaded: LoadedConfig, changes: Mapping[str, RecordedChange]
) -> Sequence[SettingRow]:
    """`changes`: the admins' last change of each setting, by environment variable."""
    rows = []
    for setting in SETTINGS:
        shown = setting.show(value_of(loaded.config, setting))
        source = str(loaded.sources[setting.env])
        change = changes.get(setting.env)
        if change is not None:
            source = (
                f"changed by {change.event.by} at {change.at:%Y-%m-%d %H:%M:%S %Z};"
                f" {source} says {shown!r}"
            )
            shown = change.event.new_value
        rows.append(
            SettingRow(
                env=setting.env,
                label=setting.label,
                value=shown,
                source=source,
                live=setting.live,
                hint=setting.hint,
                changed_by=change.event.by if change else None,
            )
        )
    return rows


async def changes_in(store: EventStore, loaded: LoadedConfig) -> dict[str, RecordedChange]:
    """Admins' changes in the log, by environment variable."""
    changes = await LiveSettings(store, tunables(loaded.config)).latest_changes()
    return {TUNABLE_ENV[key]: change for key, change in changes.items()}


async def recorded_changes(db: Location, loaded: LoadedConfig) -> dict[str, RecordedChange]:
    """As `changes_in`, for a log not yet open; none if there is no log yet."""
    if not await log_exists(db):
        return {}
    async with open_store(db, create=False) as store:
        return await changes_in(store, loaded)
