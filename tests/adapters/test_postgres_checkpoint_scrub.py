"""Scrubbing PostgreSQL checkpoints: a replaced and then scrubbed state is in no byte of
the checkpoint table's files (its TOAST table included) afterwards."""

from __future__ import annotations

import secrets

import pytest
from drivers.postgres_files import every_byte, table_files
from fakes.clock import FakeClock
from fakes.events import new_event

from lukas.adapters.postgres.checkpoints import PostgresCheckpoints
from lukas.adapters.postgres.event_store import PostgresEventStore
from lukas.application.ports.checkpoints import CheckpointSpec, Saved

pytestmark = pytest.mark.anyio

WORDS = CheckpointSpec[dict[str, str]]("words-said", 1, dict[str, str])


async def test_a_scrubbed_state_is_in_no_byte_of_the_tables_files(postgres_url: str) -> None:
    # Random text, which PostgreSQL's compression leaves as it is, long enough for TOAST.
    first, second = secrets.token_hex(3000), secrets.token_hex(3000)
    async with (
        await PostgresEventStore.open(postgres_url, FakeClock()) as store,
        await PostgresCheckpoints.open(postgres_url) as checkpoints,
    ):
        await store.append("s", [new_event("before")], None)
        await checkpoints.save(WORDS, Saved(1, {"said": first}))
        await checkpoints.save(WORDS, Saved(2, {"said": second}))
        before = every_byte(table_files(postgres_url, "lukas.checkpoints"))
        # The replaced state is still there, as a dead row: so a miss below means scrubbed.
        assert first[:64].encode() in before
        assert second[:64].encode() in before
        await checkpoints.scrub()
        after = every_byte(table_files(postgres_url, "lukas.checkpoints"))
        assert await checkpoints.load(WORDS) is None
        assert len(await store.read_all()) == 1
    assert first[:64].encode() not in after
    assert second[:64].encode() not in after
