"""A stored log as another store's keys would seal it, for `lukas migrate` (ADR 27).

Keys never travel with a log, so a copy made of the rows alone would read as forgotten
wherever it lands; and a log written before sealing holds its words in the clear. This view
of the source gives each event with personal fields opened with the source's keys and
sealed again with the target's, for the period the event was recorded in, so retention
still counts from when it was said. Sealing is deterministic (a synthetic nonce), so the
view reads the same bytes every time and the copy's resume check and checksum hold.
"""

from __future__ import annotations

import attrs

from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sealing.cipher import SealBrokenError
from lukas.adapters.sealing.key_ring import KeyRing, personal_values
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import StoredEvent, StoredLog
from lukas.domain.events import (
    DomainEvent,
    ImageGenerated,
    ImageRequested,
    MessageReceived,
    ReplyFailed,
    ReplyGenerated,
)
from lukas.domain.personal_data import is_forgotten, owner_of
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
        self._opening = KeyRing(source_keys)
        self._sealing = KeyRing(target_keys)
        self._codec = codec or EventCodec()
        # Old replies do not say whose message they answer: the message's author, learnt
        # from every message before them (rows come in position order).
        self._authors: dict[str, str] = {}
        # Old pictures do not say who asked: the ImageRequested in their stream does.
        self._requesters: dict[str, str] = {}
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
        await self._opening.fetch(event for _row, event in decoded)
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
                if row.type in (MessageReceived.TYPE, ImageRequested.TYPE):
                    self._note_author(row, self._decoded(row)[1])
            self._authors_to = rows[-1].position

    def _note_author(self, row: StoredEvent, event: DomainEvent) -> None:
        if isinstance(event, MessageReceived):
            self._authors[row.event_id] = event.author_id
        elif isinstance(event, ImageRequested) and event.requester is not None:
            self._requesters[row.stream_id] = event.requester
        self._authors_to = max(self._authors_to, row.position)

    def _decoded(self, row: StoredEvent) -> tuple[StoredEvent, DomainEvent]:
        try:
            return row, self._codec.decode(row.type, row.schema_version, row.data)
        except EventStoreError as error:
            raise EventStoreError(
                f"{self.where}, event at position {row.position}: {error}"
            ) from error

    async def _resealed(self, row: StoredEvent, event: DomainEvent) -> StoredEvent:
        # Counted only on a read in order from the start (the copy, or its checksum), so
        # each event counts once however often and wherever the copy reads.
        counting = row.position == self._counted_to + 1
        if counting:
            self._counted_to = row.position
        event = self._with_person(row, event)
        owner = owner_of(event)
        if owner is None:
            if counting and isinstance(event, ReplyGenerated | ReplyFailed):
                self.counts.ownerless += 1
            return row
        try:
            opened = self._opening.open(row.event_id, event)
        except SealBrokenError as error:
            raise EventStoreError(
                f"{self.where}, event at position {row.position}: a sealed field does not "
                "open with its key (the log or its key store was altered)"
            ) from error
        fields = personal_values(opened)
        if counting:
            if any(is_forgotten(value) for value in fields):
                self.counts.unopened += 1
            if not all(is_forgotten(value) for value in fields):
                self.counts.resealed += 1
        resealed = await self._sealing.seal(row.event_id, opened, owner, period_of(row.recorded_at))
        event_type, schema_version, data = self._codec.encode(resealed)
        return attrs.evolve(row, type=event_type, schema_version=schema_version, data=data)

    def _with_person(self, row: StoredEvent, event: DomainEvent) -> DomainEvent:
        if isinstance(event, ReplyGenerated | ReplyFailed) and event.person_id is None:
            author = self._authors.get(event.reply_to)
            if author is not None:
                return attrs.evolve(event, person_id=author)
        if isinstance(event, ImageGenerated) and event.requester is None:
            requester = self._requesters.get(row.stream_id)
            if requester is not None:
                return attrs.evolve(event, requester=requester)
        return event
