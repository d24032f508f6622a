"""The log as another store's keys seal it (ADR 27), over real SQLite files and key stores:
an old plain log comes out sealed, old replies get their person, a forgotten word stays
forgotten, and the view reads the same bytes every time, so a copy can be verified."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest
from fakes.clock import FakeClock
from fakes.event_samples import sample

from lukas.adapters.memory.data_keys import NoDataKeys
from lukas.adapters.sealing.cipher import FORGOTTEN_SEAL
from lukas.adapters.sealing.key_ring import personal_values
from lukas.adapters.sealing.resealed_log import ResealedLog
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.sqlite.stored_log import SqliteStoredLog
from lukas.application.log_copy import copy_log
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.application.ports.stored_log import StoredEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    EVENT_CLASSES,
    DomainEvent,
    ImageGenerated,
    ImageRequested,
    MessageReceived,
    ReplyFailed,
    ReplyGenerated,
)
from lukas.domain.personal_data import FORGOTTEN, is_forgotten, owner_of, with_personal
from lukas.domain.retention import period_of
from lukas.domain.routing import Route

pytestmark = pytest.mark.anyio

AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
CONVERSATION = ConversationKey("console:test")


@attrs.define
class Side:
    """One store's log file and its key store."""

    db: Path
    keys: SqliteDataKeys

    async def raw(self) -> SqliteEventStore:
        return await SqliteEventStore.open(self.db, FakeClock(AT))


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[Side]:
    async with await SqliteDataKeys.open(tmp_path / "new.db.keys", create=True) as keys:
        store = await SqliteEventStore.open(tmp_path / "new.db", FakeClock(AT))
        await store.close()
        yield Side(tmp_path / "new.db", keys)


def _said(author: str, text: str) -> MessageReceived:
    return MessageReceived(
        conversation=CONVERSATION,
        author_id=author,
        author_name=f"name of {author}",
        text=text,
        platform_message_id="p",
        token_count=3,
        route=Route.addressed(),
    )


def _new(event: DomainEvent, event_id: str) -> NewEvent:
    return NewEvent(event_id, event, EventMetadata(correlation_id=event_id))


async def _migrate(source: Path, source_keys: DataKeys, target: Side) -> ResealedLog:
    async with (
        await SqliteStoredLog.open(source) as reading,
        await SqliteStoredLog.open(target.db) as writing,
    ):
        view = ResealedLog(reading, source_keys, target.keys)
        await copy_log(view, writing)
    return view


async def _read_sealed(side: Side) -> list[DomainEvent]:
    raw = await side.raw()
    try:
        sealed = SealedEventStore(raw, side.keys, FakeClock(AT))
        return [recorded.event for recorded in await sealed.read_all()]
    finally:
        await raw.close()


async def _read_raw(db: Path) -> list[DomainEvent]:
    raw = await SqliteEventStore.open(db, FakeClock(AT))
    try:
        return [recorded.event for recorded in await raw.read_all()]
    finally:
        await raw.close()


async def test_an_old_plain_log_comes_out_with_every_personal_field_sealed(
    tmp_path: Path, target: Side
) -> None:
    old = tmp_path / "old.db"
    # As Lukas wrote before sealing: every event straight into the store, words in the clear.
    events = [_with_own_words(sample(cls, fill_optional=True)) for cls in EVENT_CLASSES]
    plain = await SqliteEventStore.open(old, FakeClock(AT))
    for number, event in enumerate(events):
        await plain.append(f"s{number}", [_new(event, f"e{number}")], None)
    await plain.close()

    view = await _migrate(old, NoDataKeys(), target)

    personal = [event for event in events if owner_of(event) is not None]
    assert view.counts.resealed == len(personal) > 10
    assert view.counts.unopened == view.counts.ownerless == 0
    stored = await _read_raw(target.db)
    for event in stored:
        for value in personal_values(event):
            assert value.startswith("sealed:1:"), (event.TYPE, value)
    texts = {value for event in personal for value in personal_values(event)}
    assert _held(texts, tmp_path, "old.db") == texts
    assert _held(texts, tmp_path, "new.db") == set()
    assert await _read_sealed(target) == events


async def test_old_replies_are_sealed_for_the_author_of_the_message_they_answer(
    tmp_path: Path, target: Side
) -> None:
    old = tmp_path / "old.db"
    plain = await SqliteEventStore.open(old, FakeClock(AT))
    await plain.append("c", [_new(_said("U0ADA", "honey?"), "m1")], None)
    await plain.append("c", [_new(_said("U0BOB", "salmon?"), "m2")], 1)
    await plain.close()
    # Replies as schemas before 3 stored them: no person_id at all.
    ada_reply = (
        '{"reply_to": "m1", "text": "Honey is good.", "provider": "p", "model": "m", "usage":'
        ' null, "finish_reason": "stop", "latency_ms": 5, "context_tokens": 9, "token_count":'
        ' 4, "first_text_ms": null}'
    )
    bob_failed = (
        '{"reply_to": "m2", "kind": "provider", "detail": "down", "attempts": 3,'
        ' "fallback_text": "Sorry, Bob."}'
    )
    async with await SqliteStoredLog.open(old) as stored:
        await stored.write(
            [
                _row(3, "r1", "ReplyGenerated", 2, ada_reply),
                _row(4, "r2", "ReplyFailed", 1, bob_failed),
            ]
        )

    view = await _migrate(old, NoDataKeys(), target)

    assert view.counts.resealed == 4
    # A copy resumed at the replies learns first whose messages they answer.
    async with await SqliteStoredLog.open(old) as reading:
        resumed = await ResealedLog(reading, NoDataKeys(), target.keys).rows(2, 10)
    async with await SqliteStoredLog.open(target.db) as written:
        assert resumed == await written.rows(2, 10)
    events = await _read_sealed(target)
    reply, failed = events[2], events[3]
    assert isinstance(reply, ReplyGenerated)
    assert isinstance(failed, ReplyFailed)
    assert (reply.person_id, reply.text) == ("U0ADA", "Honey is good.")
    assert (failed.person_id, failed.fallback_text) == ("U0BOB", "Sorry, Bob.")
    assert b"Honey is good" not in target.db.read_bytes()
    # Sealed with Ada's key: forgetting her takes the reply too, and not Bob's.
    await target.keys.forget_person("U0ADA")
    reply, failed = (await _read_sealed(target))[2:]
    assert isinstance(reply, ReplyGenerated)
    assert isinstance(failed, ReplyFailed)
    assert is_forgotten(reply.text)
    assert failed.fallback_text == "Sorry, Bob."


def _with_own_words(event: DomainEvent) -> DomainEvent:
    """Each personal field with words of its own, so they can be looked for in the files."""
    return with_personal(event, lambda path, _value: f"{event.TYPE} {path}")


def _held(texts: set[str], folder: Path, name: str) -> set[str]:
    """The texts found in the files of a log, as typed or as its JSON escapes them."""
    files = b"".join(path.read_bytes() for path in folder.glob(f"{name}*") if path.is_file())
    return {text for text in texts if json.dumps(text)[1:-1].encode() in files}


def _row(position: int, event_id: str, kind: str, schema: int, data: str) -> StoredEvent:
    return StoredEvent(
        position=position,
        stream_id=f"reply-{event_id}",
        version=1,
        event_id=event_id,
        type=kind,
        schema_version=schema,
        data=data,
        metadata=json.dumps({"correlation_id": event_id}),
        recorded_at=AT,
    )


async def _sealed_log(tmp_path: Path, keys: SqliteDataKeys) -> Path:
    db = tmp_path / "sealed.db"
    raw = await SqliteEventStore.open(db, FakeClock(AT))
    sealed = await SealedEventStore.open(raw, keys, FakeClock(AT))
    await sealed.append("c", [_new(_said("U0ADA", "my secret plan"), "m1")], None)
    await sealed.append("c", [_new(_said("U0BOB", "my own words"), "m2")], 1)
    await raw.close()
    return db


async def test_a_forgotten_word_stays_forgotten_and_the_rest_opens_with_the_new_keys(
    tmp_path: Path, target: Side
) -> None:
    async with await SqliteDataKeys.open(tmp_path / "sealed.db.keys", create=True) as keys:
        db = await _sealed_log(tmp_path, keys)
        await keys.forget_person("U0ADA")
        view = await _migrate(db, keys, target)

    assert (view.counts.resealed, view.counts.unopened) == (1, 1)
    ada, bob = await _read_sealed(target)
    assert isinstance(ada, MessageReceived)
    assert isinstance(bob, MessageReceived)
    assert ada.author_id == "U0ADA"
    assert ada.text is FORGOTTEN
    assert bob.text == "my own words"
    stored_ada, _ = await _read_raw(target.db)
    assert set(personal_values(stored_ada)) == {FORGOTTEN_SEAL}
    # Only Bob's words needed a key in the target, for the week he said them.
    found = await target.keys.key_for("U0BOB", period_of(AT))
    assert found.key_id in str(personal_values((await _read_raw(target.db))[1]))


async def test_the_view_reads_the_same_bytes_every_time_and_from_any_start(
    tmp_path: Path, target: Side
) -> None:
    async with await SqliteDataKeys.open(tmp_path / "sealed.db.keys", create=True) as keys:
        db = await _sealed_log(tmp_path, keys)
        plain = await SqliteEventStore.open(db, FakeClock(AT))
        await plain.append("c", [_new(_said("U0ADA", "said in the clear"), "m3")], 2)
        await plain.close()
        async with await SqliteStoredLog.open(db) as reading:
            first = await ResealedLog(reading, keys, target.keys).rows(0, 100)
            view = ResealedLog(reading, keys, target.keys)
            again = await view.rows(0, 100)
            assert await view.rows(0, 100) == again == first
            assert await ResealedLog(reading, keys, target.keys).rows(2, 100) == first[2:]
            source = await reading.rows(0, 100)
    assert len(first) == 3
    # Sealed with other keys than the source's: every personal field differs.
    for ours, theirs in zip(first, source, strict=True):
        assert ours.data != theirs.data
        assert attrs.evolve(ours, data=theirs.data) == theirs
    assert "said in the clear" not in first[2].data
    assert "sealed:1:" in first[2].data


async def test_old_pictures_are_sealed_for_whoever_asked_for_them(
    tmp_path: Path, target: Side
) -> None:
    old = tmp_path / "old.db"
    asked = ImageRequested(
        prompt="a bear with a kite",
        theme="kites",
        occasion=None,
        trigger="request",
        requester="U0ADA",
        period=None,
    )
    plain = await SqliteEventStore.open(old, FakeClock(AT))
    await plain.append("image-request:m1", [_new(asked, "i1")], None)
    await plain.close()
    # A picture as schema 1 stored it: no requester.
    drawn = (
        '{"model": "gpt-image-1", "size": "1024x1024", "quality": "medium", "revised_prompt":'
        ' "A bear flying a red kite", "source": "b64_json", "file": "p.png", "cost_usd": 0.04,'
        ' "caption": "Ada asked for kites!"}'
    )
    async with await SqliteStoredLog.open(old) as stored:
        row = attrs.evolve(
            _row(2, "i2", "ImageGenerated", 1, drawn), stream_id="image-request:m1", version=2
        )
        await stored.write([row])

    await _migrate(old, NoDataKeys(), target)

    assert b"Ada asked for kites" not in target.db.read_bytes()
    picture = (await _read_sealed(target))[1]
    assert isinstance(picture, ImageGenerated)
    assert (picture.requester, picture.caption) == ("U0ADA", "Ada asked for kites!")
    await target.keys.forget_person("U0ADA")
    picture = (await _read_sealed(target))[1]
    assert isinstance(picture, ImageGenerated)
    assert is_forgotten(picture.caption)
