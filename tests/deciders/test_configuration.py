"""Settings changed at run time: checked against the settings table, recorded with the
value they replace, never recorded when already in force, and compared again after a
rival's change."""

from __future__ import annotations

import pytest

from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.streams import decide_on_stream
from lukas.domain.configuration import (
    CONFIG_STREAM,
    CONFIGURATION,
    ChangeSetting,
    SettingRejected,
    Tunables,
)
from lukas.domain.events import ConfigurationChanged

from .conftest import Scenarios
from .rivals import RivalFirst

pytestmark = pytest.mark.anyio

THREADS = "LUKAS_THREAD_PROBABILITY"


def change(raw: str, *, by: str = "UADA", defaults: Tunables | None = None) -> ChangeSetting:
    return ChangeSetting(key="thread_probability", raw=raw, by=by, defaults=defaults or Tunables())


def changed(old: str, new: str, by: str = "UADA", setting: str = THREADS) -> ConfigurationChanged:
    return ConfigurationChanged(setting=setting, old_value=old, new_value=new, by=by)


async def test_a_change_records_the_configured_value_it_replaces(scenarios: Scenarios) -> None:
    await scenarios.run(
        CONFIG_STREAM,
        CONFIGURATION,
        when=change("0.5", defaults=Tunables(thread_probability=0.3)),
        then=[changed("0.3", "0.5")],
    )


async def test_a_change_replaces_the_last_change_of_that_setting(scenarios: Scenarios) -> None:
    await scenarios.run(
        CONFIG_STREAM,
        CONFIGURATION,
        given=[
            changed("0.2", "0.7", by="UGRACE"),
            changed("0.15", "0.4", setting="LUKAS_REACTION_PROBABILITY"),
        ],
        when=change("0.5"),
        then=[changed("0.7", "0.5")],
    )


async def test_the_value_is_recorded_in_its_shown_form(scenarios: Scenarios) -> None:
    await scenarios.run(
        CONFIG_STREAM, CONFIGURATION, when=change(" \u201c50%\u201d "), then=[changed("0.2", "0.5")]
    )


@pytest.mark.parametrize(
    ("given", "raw"),
    [([], "0.2"), ([changed("0.2", "0.5")], "50%")],
    ids=["the-default", "a-recorded-change"],
)
async def test_a_value_already_in_force_is_not_recorded(
    scenarios: Scenarios, given: list[ConfigurationChanged], raw: str
) -> None:
    await scenarios.run(CONFIG_STREAM, CONFIGURATION, given=given, when=change(raw), then=[])


async def test_a_recorded_value_this_version_refuses_keeps_the_one_before(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        CONFIG_STREAM,
        CONFIGURATION,
        given=[changed("0.2", "0.5"), changed("0.5", "1.7", by="UOLD")],
        when=change("0.6"),
        then=[changed("0.5", "0.6")],
    )


async def test_a_change_of_a_setting_this_version_does_not_know_is_passed_over(
    scenarios: Scenarios,
) -> None:
    await scenarios.run(
        CONFIG_STREAM,
        CONFIGURATION,
        given=[changed("a", "b", setting="LUKAS_RETIRED_SETTING")],
        when=change("0.6"),
        then=[changed("0.2", "0.6")],
    )


@pytest.mark.parametrize(
    ("key", "raw", "reason"),
    [
        ("thread_probability", "1.7", "between 0 and 1"),
        ("thread_probability", " '' ", "empty"),
        ("history_pairs", "5", "not a setting admins can change"),
    ],
)
async def test_a_value_that_cannot_be_used_is_refused_saying_why(
    scenarios: Scenarios, key: str, raw: str, reason: str
) -> None:
    command = ChangeSetting(key=key, raw=raw, by="UADA", defaults=Tunables())
    with pytest.raises(SettingRejected, match=reason):
        CONFIGURATION.decide(command, CONFIGURATION.initial)
    with pytest.raises(SettingRejected, match=reason):
        await decide_on_stream(
            scenarios.store, CONFIG_STREAM, CONFIGURATION, command, EventMetadata("when")
        )
    assert await scenarios.store.read_stream(CONFIG_STREAM) == []


@pytest.mark.parametrize(
    ("rival_value", "then"),
    [("0.7", (changed("0.7", "0.5"),)), ("0.5", ())],
    ids=["another-value", "the-same-value"],
)
async def test_a_rival_change_in_between_is_compared_against(
    scenarios: Scenarios, rival_value: str, then: tuple[ConfigurationChanged, ...]
) -> None:
    async def rival_changes(store: EventStore) -> None:
        await decide_on_stream(
            store,
            CONFIG_STREAM,
            CONFIGURATION,
            change(rival_value, by="UGRACE"),
            EventMetadata("rival", None, "instance-b"),
        )

    racing = RivalFirst(scenarios.store, lambda: rival_changes(scenarios.store))
    decided = await decide_on_stream(
        racing, CONFIG_STREAM, CONFIGURATION, change("0.5"), EventMetadata("mine", None, "a")
    )
    assert decided.events == then
    stored = [r.event for r in await scenarios.store.read_stream(CONFIG_STREAM)]
    assert stored == [changed("0.2", rival_value, by="UGRACE"), *then]
