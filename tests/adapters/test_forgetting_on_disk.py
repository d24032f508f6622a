"""The issue's property on real files: for any log, forgetting one person leaves every other
person's words readable and unchanged, and the forgotten person's words are in no byte of
the log, its WAL, its checkpoints or the key file (ADR 27)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.forgetting import Forgetting
from lukas.application.ports.checkpoints import CheckpointSpec, Saved
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived
from lukas.domain.personal_data import is_forgotten
from lukas.domain.routing import Route

pytestmark = pytest.mark.anyio

PEOPLE = ["U0ADA", "U0BOB", "U0CEE"]
# A projection's state holding people's words in the clear, as some checkpoints do.
SAID = CheckpointSpec[dict[str, str]]("said-by-person", 1, dict[str, str])


def every_byte(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    said=st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(0, 20)), min_size=1, max_size=15),
    forgotten=st.sampled_from(PEOPLE),
)
async def test_forgetting_one_person_on_disk(
    tmp_path_factory: pytest.TempPathFactory, said: list[tuple[str, int]], forgotten: str
) -> None:
    folder = tmp_path_factory.mktemp("log")
    path = folder / "lukas.db"
    clock = FakeClock()
    # Words no other bytes could hold by chance: each person's, made up for this example.
    words = [(person, f"{person}-{secrets.token_hex(6)}-{days}") for person, days in said]
    async with (
        await SqliteEventStore.open(path, clock) as raw,
        await SqliteDataKeys.open(folder / "lukas.db.keys", create=True) as keys,
    ):
        store = await SealedEventStore.open(raw, keys, clock)
        checkpoints = await SqliteCheckpoints.open(path)
        try:
            for number, (person, text) in enumerate(words):
                event = MessageReceived(
                    conversation=ConversationKey(f"slack-dm:D{person}"),
                    author_id=person,
                    author_name=f"name of {person}",
                    text=text,
                    platform_message_id=f"m{number}",
                    token_count=3,
                    route=Route.addressed(),
                )
                new = NewEvent(f"e{number}", event, EventMetadata(correlation_id=f"e{number}"))
                await store.append(f"s-{person}", [new], None)
                clock.advance(86_400 * said[number][1])
            await checkpoints.save(SAID, Saved(len(words), {text: who for who, text in words}))
            # The checkpoint holds them in the clear, as a projection's state may.
            assert all(text.encode() in every_byte(folder) for _, text in words)

            forgetting = Forgetting(
                store=store, keys=keys, checkpoints=checkpoints, clock=clock, held=[store]
            )
            await forgetting.forget(forgotten, requested_by="cli:test", via="command line")
            read = [r.event for r in await store.read_all() if isinstance(r.event, MessageReceived)]
        finally:
            await checkpoints.close()

    on_disk = every_byte(folder)
    for (person, text), event in zip(words, read, strict=True):
        assert text.encode() not in on_disk
        if person == forgotten:
            assert is_forgotten(event.text)
        else:
            assert event.text == text
            assert event.author_name == f"name of {person}"
