"""A stored log as another store's keys would seal it, for `lukas migrate` (ADR 27).

Keys never travel with a log, so a copy made of the rows alone would read as forgotten
wherever it lands; and a log written before sealing holds its words in the clear. This view
of the source gives each event with personal fields opened with the source's keys and
sealed again with the target's, for the period the event was recorded in, so retention
still counts from when it was said. Sealing is deterministic (a synthetic nonce), so the
view reads the same bytes every time and the copy's resume check and checksum hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sealing.cipher import SealBrokenError, binding, key_id_of, unseal
from lukas.adapters.sealing.sealed_store import sealed_event
from lukas.application.ports.data_keys import DataKey, DataKeys
from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import StoredEvent, StoredLog
from lukas.domain.events import DomainEvent, MessageReceived, ReplyFailed, ReplyGenerated
from lukas.domain.personal_data import FORGOTTEN, is_forgotten, owner_of, with_personal
from lukas.domain.retention import period_of

_SCAN_BATCH = 2000


@attrs.define
class ResealCounts:
    """What the view did to the whole log, each event counted once."""

    resealed: int = 0  # events whose words were sealed anew with the target's keys
    unopened: int = 0  # events with words whose source key is gone: forgotten in the copy
    ownerless: int = 0  # old replies to no message in the log: left as they were


class ResealedLog:
    """The source as the target should hold it. Read-only: it has no `write`."""

    def __init__(
        self,
        source: StoredLog,
        source_keys: DataKeys,
        target_keys: DataKeys,
        codec: EventCodec | None = None,
    ) -> None:
        self._source = source
        self._source_keys = source_keys
        self._target_keys = target_keys
        self._codec = codec or EventCodec()
        self._opening: dict[str, AESGCM] = {}
        self._gone: set[str] = set()
        self._sealing: dict[tuple[str, str], tuple[DataKey, AESGCM]] = {}
        # Old replies do not say whose message they answer: the message's author, learnt
        # from every message before them (rows come in position order).
        self._authors: dict[str, str] = {}
        self._authors_to = 0
        self._counted_to = 0
        self.counts = ResealCounts()

    @property
    def where(self) -> str:
        return self._source.where

    async def head(self) -> int:
        return await self._source.head()

    async def rows(self, after: int, limit: int) -> list[StoredEvent]:
        # A resumed copy starts in the middle: the messages before it are learnt first, so
        # an old reply reads the same whichever way the log is read.
        await self._learn_authors(after)
        rows = await self._source.rows(after, limit)
        decoded = [self._decoded(row) for row in rows]
        await self._fetch_source_keys(decoded)
        result = []
        for row, event in decoded:
            self._note_author(row, event)
            result.append(await self._resealed(row, event))
        return result

    async def _learn_authors(self, before: int) -> None:
        while self._authors_to < before:
            rows = await self._source.rows(
                self._authors_to, min(_SCAN_BATCH, before - self._authors_to)
            )
            if not rows:
                return
            for row in rows:
                if row.type == MessageReceived.TYPE:
                    self._note_author(row, self._decoded(row)[1])
            self._authors_to = rows[-1].position

    def _note_author(self, row: StoredEvent, event: DomainEvent) -> None:
        if isinstance(event, MessageReceived):
            self._authors[row.event_id] = event.author_id
        self._authors_to = max(self._authors_to, row.position)

    def _decoded(self, row: StoredEvent) -> tuple[StoredEvent, DomainEvent]:
        try:
            return row, self._codec.decode(row.type, row.schema_version, row.data)
        except EventStoreError as error:
            raise EventStoreError(
                f"{self.where}, event at position {row.position}: {error}"
            ) from error

    async def _fetch_source_keys(self, decoded: Sequence[tuple[StoredEvent, DomainEvent]]) -> None:
        wanted: set[str] = set()
        for _row, event in decoded:
            wanted.update(_key_ids(event) - self._opening.keys() - self._gone)
        if not wanted:
            return
        found = await self._source_keys.find(wanted)
        for key_id in wanted:
            key = found.get(key_id)
            if key is None:
                self._gone.add(key_id)
            else:
                self._opening[key_id] = AESGCM(key.secret)

    async def _resealed(self, row: StoredEvent, event: DomainEvent) -> StoredEvent:
        # Counted only on a read in order from the start (the copy, or its checksum), so
        # each event counts once however often and wherever the copy reads.
        counting = row.position == self._counted_to + 1
        if counting:
            self._counted_to = row.position
        event = self._with_person(event)
        owner = owner_of(event)
        if owner is None:
            if counting and isinstance(event, ReplyGenerated | ReplyFailed):
                self.counts.ownerless += 1
            return row
        opened = with_personal(event, lambda path, value: self._open(row, path, value))
        fields = _values(opened)
        if counting:
            if any(is_forgotten(value) for value in fields):
                self.counts.unopened += 1
            if not all(is_forgotten(value) for value in fields):
                self.counts.resealed += 1
        key, cipher = await self._target_key(owner, period_of(row.recorded_at))
        event_type, schema_version, data = self._codec.encode(
            sealed_event(row.event_id, opened, key, cipher)
        )
        return attrs.evolve(row, type=event_type, schema_version=schema_version, data=data)

    def _with_person(self, event: DomainEvent) -> DomainEvent:
        if isinstance(event, ReplyGenerated | ReplyFailed) and event.person_id is None:
            author = self._authors.get(event.reply_to)
            if author is not None:
                return attrs.evolve(event, person_id=author)
        return event

    def _open(self, row: StoredEvent, path: str, value: str) -> str:
        key_id = key_id_of(value)
        if key_id is None:
            return value  # written in the clear, before sealing began
        cipher = self._opening.get(key_id)
        if cipher is None:
            return FORGOTTEN
        try:
            return unseal(cipher, value, binding(row.event_id, path))
        except SealBrokenError as error:
            raise EventStoreError(
                f"{self.where}, event at position {row.position}: its {path} does not open "
                "with its key (the log or its key store was altered)"
            ) from error

    async def _target_key(self, owner: str, period: str) -> tuple[DataKey, AESGCM]:
        held = self._sealing.get((owner, period))
        if held is None:
            key = await self._target_keys.key_for(owner, period)
            held = self._sealing[(owner, period)] = (key, AESGCM(key.secret))
        return held


def _values(event: DomainEvent) -> list[str]:
    values: list[str] = []

    def note(_path: str, value: str) -> str:
        values.append(value)
        return value

    with_personal(event, note)
    return values


def _key_ids(event: DomainEvent) -> set[str]:
    return {key_id for value in _values(event) if (key_id := key_id_of(value)) is not None}
