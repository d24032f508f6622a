"""The PostgreSQL key store against a real server: what the contract cannot say (bytes
left in the table's files, two stores at once, a store that is not there, a role that
cannot rewrite the table)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import psycopg
import pytest
from drivers.postgres_files import every_byte, table_files
from psycopg import sql

from lukas.adapters.postgres.data_keys import PostgresDataKeys
from lukas.application.ports.data_keys import DataKey, DataKeyError

pytestmark = pytest.mark.anyio


@contextmanager
def role_without_ownership(url: str) -> Iterator[str]:
    """A URL for a new role that may read and write the key table but does not own it."""
    role = f"lukas_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for statement in (
            "GRANT USAGE ON SCHEMA lukas TO {}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lukas TO {}",
        ):
            raw.execute(sql.SQL(statement).format(sql.Identifier(role)))
    try:
        yield "postgresql://" + role + "@" + url.split("@", 1)[-1].removeprefix("postgresql://")
    finally:
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            raw.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


async def test_forgotten_keys_and_names_are_in_no_byte_of_the_tables_files(
    postgres_url: str,
) -> None:
    async with await PostgresDataKeys.open(postgres_url, create=True) as keys:
        made = [
            await keys.key_for(f"U{number % 40}", f"2026-11-{number // 40 + 1:02d}")
            for number in range(400)
        ]
        named = await keys.key_for("console:Ziggy Stardust", "2026-11-03")
        on_disk = every_byte(table_files(postgres_url, "lukas.data_keys"))
        assert all(key.secret in on_disk for key in made)  # so a miss below means erased
        assert b"Ziggy Stardust" in on_disk
        assert await keys.forget_person("U39") == 10  # the last rows written, at the edge
        assert await keys.forget_person(named.person) == 1
        assert await keys.drop_before("2026-11-02") == 39
        on_disk = every_byte(table_files(postgres_url, "lukas.data_keys"))
    gone = [key for key in made if key.person == "U39" or key.period < "2026-11-02"]
    assert not [key.key_id for key in gone if key.secret in on_disk]
    assert named.secret not in on_disk
    assert b"Ziggy Stardust" not in on_disk  # the name was in the indexes too
    assert all(key.secret in on_disk for key in made if key not in gone)


async def test_two_stores_asking_at_once_get_the_same_key(postgres_url: str) -> None:
    async with (
        await PostgresDataKeys.open(postgres_url, create=True) as one,
        await PostgresDataKeys.open(postgres_url, create=True) as two,
    ):
        got: dict[tuple[str, int], DataKey] = {}

        async def ask(store: PostgresDataKeys, period: str) -> None:
            got[(period, id(store))] = await store.key_for("U1", period)

        periods = [f"2026-12-{day:02d}" for day in range(1, 21)]
        async with anyio.create_task_group() as group:
            for period in periods:
                group.start_soon(ask, one, period)
                group.start_soon(ask, two, period)
        for period in periods:
            assert got[(period, id(one))] == got[(period, id(two))]
        await one.forget_person("U1")
        assert await two.epoch() == 1


async def test_a_missing_store_is_named_when_not_to_be_created(postgres_url: str) -> None:
    with pytest.raises(DataKeyError) as raised:
        await PostgresDataKeys.open(postgres_url, create=False)
    assert "no event store in postgresql://" in str(raised.value)
    assert "\n" not in str(raised.value)


async def test_a_password_never_reaches_the_error(postgres_server: str) -> None:
    url = "postgresql://someone:hunter2-secret@127.0.0.1:1/nowhere"
    with pytest.raises(DataKeyError) as raised:
        await PostgresDataKeys.open(url, create=True)
    assert "hunter2" not in str(raised.value)
    assert "postgresql://someone@127.0.0.1:1/nowhere" in str(raised.value)


async def test_a_role_that_cannot_rewrite_the_table_hears_so(postgres_url: str) -> None:
    async with await PostgresDataKeys.open(postgres_url, create=True) as owner:
        made = await owner.key_for("U1", "2026-12-03")
    with role_without_ownership(postgres_url) as url:
        async with await PostgresDataKeys.open(url, create=False) as keys:
            with pytest.raises(DataKeyError) as raised:
                await keys.forget_person("U1")
    assert "VACUUM FULL skipped lukas.data_keys" in str(raised.value)
    assert made.secret.hex() not in str(raised.value)
