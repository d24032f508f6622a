"""The data-key contract, run against every key store: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lukas.adapters.memory.data_keys import InMemoryDataKeys
from lukas.adapters.postgres.data_keys import PostgresDataKeys
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.application.ports.data_keys import KEY_BYTES, DataKeys

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def keys(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DataKeys]:
    if request.param == "memory":
        yield InMemoryDataKeys()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        async with await PostgresDataKeys.open(url, create=True) as postgres:
            yield postgres
        return
    async with await SqliteDataKeys.open(tmp_path / "lukas.db.keys", create=True) as sqlite:
        yield sqlite


async def test_the_same_person_and_period_get_the_same_key(keys: DataKeys) -> None:
    first = await keys.key_for("U1", "2026-12-03")
    assert await keys.key_for("U1", "2026-12-03") == first
    assert (first.person, first.period, len(first.secret)) == ("U1", "2026-12-03", KEY_BYTES)


async def test_another_person_or_period_gets_another_key(keys: DataKeys) -> None:
    made = [
        await keys.key_for("U1", "2026-12-03"),
        await keys.key_for("U2", "2026-12-03"),
        await keys.key_for("U1", "2026-12-04"),
    ]
    assert len({key.key_id for key in made}) == 3
    assert len({key.secret for key in made}) == 3


async def test_find_returns_only_the_keys_that_exist(keys: DataKeys) -> None:
    one = await keys.key_for("U1", "2026-12-03")
    two = await keys.key_for("U2", "2026-12-03")
    assert await keys.find([one.key_id, "no-such-key", two.key_id]) == {
        one.key_id: one,
        two.key_id: two,
    }
    assert await keys.find([]) == {}
    assert await keys.find(["no-such-key"]) == {}


async def test_find_answers_for_many_ids_at_once(keys: DataKeys) -> None:
    made = [await keys.key_for(f"U{n}", "2026-12-03") for n in range(30)]
    asked = [key.key_id for key in made] + [f"missing-{n}" for n in range(2000)]
    assert await keys.find(asked) == {key.key_id: key for key in made}


async def test_forget_person_removes_all_their_keys_and_no_one_elses(keys: DataKeys) -> None:
    theirs = [await keys.key_for("U1", day) for day in ("2026-12-01", "2026-12-02")]
    others = [await keys.key_for("U2", "2026-12-01"), await keys.key_for("U10", "2026-12-01")]
    assert await keys.forget_person("U1") == 2
    found = await keys.find([key.key_id for key in theirs + others])
    assert found == {key.key_id: key for key in others}
    assert await keys.forget_person("U1") == 0


async def test_a_forgotten_person_gets_a_new_key_never_the_old_one(keys: DataKeys) -> None:
    old = await keys.key_for("U1", "2026-12-03")
    await keys.forget_person("U1")
    new = await keys.key_for("U1", "2026-12-03")
    assert new.key_id != old.key_id
    assert new.secret != old.secret


async def test_drop_before_removes_exactly_the_earlier_periods(keys: DataKeys) -> None:
    early = [await keys.key_for("U1", "2026-11-30"), await keys.key_for("U2", "2026-12-01")]
    kept = [await keys.key_for("U1", "2026-12-02"), await keys.key_for("U2", "2026-12-03")]
    assert await keys.drop_before("2026-12-02") == 2
    found = await keys.find([key.key_id for key in early + kept])
    assert found == {key.key_id: key for key in kept}


async def test_the_epoch_grows_on_a_delete_that_removed_keys_only(keys: DataKeys) -> None:
    start = await keys.epoch()
    await keys.key_for("U1", "2026-12-01")
    await keys.key_for("U2", "2026-12-03")
    assert await keys.epoch() == start
    assert await keys.forget_person("nobody") == 0
    assert await keys.drop_before("2026-01-01") == 0
    assert await keys.epoch() == start
    await keys.forget_person("U1")
    after_forget = await keys.epoch()
    assert after_forget > start
    await keys.drop_before("2026-12-04")
    assert await keys.epoch() > after_forget


async def test_the_secret_is_not_in_the_repr(keys: DataKeys) -> None:
    key = await keys.key_for("U1", "2026-12-03")
    shown = repr(key) + str(key) + repr(keys)
    assert key.secret.hex() not in shown
    assert repr(key.secret) not in shown
    assert key.key_id in repr(key)


async def test_the_first_opening_of_a_log_is_remembered(keys: DataKeys) -> None:
    assert await keys.first_opened_empty(False) is False
    assert await keys.first_opened_empty(True) is False  # the first answer stands
