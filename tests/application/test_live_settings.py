"""Settings changed at run time: recorded once, seen by every reader, raced safely."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.live_settings import CONFIG_STREAM, LiveSettings, SettingRejected, Tunables
from lukas.application.ports.event_store import AppendResult, EventMetadata, NewEvent
from lukas.domain.events import ConfigurationChanged
from lukas.domain.settings import LIVE_SETTINGS

pytestmark = pytest.mark.anyio


async def test_a_change_is_seen_by_another_reader_and_after_a_restart() -> None:
    store = InMemoryEventStore(FakeClock())
    admin = LiveSettings(store, Tunables())
    other_instance = LiveSettings(store, Tunables())
    assert (await other_instance.current()).thread_probability == 0.2
    await admin.change("thread_probability", "0.5", by="UADMIN")
    assert (await other_instance.current()).thread_probability == 0.5
    restarted = LiveSettings(store, Tunables(thread_probability=0.3))
    assert (await restarted.current()).thread_probability == 0.5  # the change wins
    changes = await restarted.latest_changes()
    assert changes["thread_probability"].event.by == "UADMIN"


class RacingStore(InMemoryEventStore):
    """Lets a rival admin's change land just before this one is appended."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.rival: LiveSettings | None = None

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        rival, self.rival = self.rival, None
        if rival is not None:
            await rival.change("thread_probability", "0.7", by="UGRACE")
        return await super().append(stream_id, events, expected_version)


async def test_a_rival_change_in_between_is_compared_against_not_overwritten_blindly() -> None:
    store = RacingStore(FakeClock())
    mine = LiveSettings(store, Tunables())
    store.rival = LiveSettings(store, Tunables())
    recorded = await mine.change("thread_probability", "0.5", by="UADA")
    assert recorded == ConfigurationChanged(
        setting="LUKAS_THREAD_PROBABILITY", old_value="0.7", new_value="0.5", by="UADA"
    )
    history = [r.event for r in await store.read_stream(CONFIG_STREAM)]
    assert [
        (e.by, e.old_value, e.new_value) for e in history if isinstance(e, ConfigurationChanged)
    ] == [
        ("UGRACE", "0.2", "0.7"),
        ("UADA", "0.7", "0.5"),
    ]


async def test_a_recorded_value_no_longer_valid_keeps_the_one_before() -> None:
    store = InMemoryEventStore(FakeClock())
    odd = ConfigurationChanged(
        setting="LUKAS_THREAD_PROBABILITY", old_value="0.2", new_value="1.7", by="U1"
    )
    await store.append(CONFIG_STREAM, [NewEvent("odd", odd, EventMetadata("odd"))], 0)
    assert (await LiveSettings(store, Tunables()).current()).thread_probability == 0.2


def test_tunables_are_the_live_rows_of_the_settings_table_with_their_defaults() -> None:
    assert [field.name for field in attrs.fields(Tunables)] == [s.key for s in LIVE_SETTINGS]
    for setting in LIVE_SETTINGS:
        assert getattr(Tunables(), setting.key) == setting.default
        assert Tunables().text_of(setting.key) == setting.show(setting.default)


async def test_a_setting_read_only_at_start_cannot_be_changed_at_run_time() -> None:
    store = InMemoryEventStore(FakeClock())
    with pytest.raises(SettingRejected, match="not a setting admins can change"):
        await LiveSettings(store, Tunables()).change("history_pairs", "5", by="UADMIN")
    assert await store.read_stream(CONFIG_STREAM) == []
