"""Forgetting a person, and forgetting old periods: keys deleted, never events (ADR 27).

The order keeps the log honest: the request is recorded first, then the keys go, then the
checkpoints that may hold the words in the clear are scrubbed, then PersonForgotten says it
is done. A process that dies on the way, or cannot scrub the checkpoints (another process
holding the SQLite WAL), leaves a confirmed request without its PersonForgotten:
`finish_unfinished` carries it out again at the next start and, in the Slack bot, at every
minute's recovery; the same person confirming again finishes it too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

from lukas.application.identity import derive_event_id
from lukas.application.ports.checkpoints import Checkpoints
from lukas.application.ports.clock import Clock
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.event_store import (
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.domain.events import DomainEvent, ForgettingRequested, KeysExpired, PersonForgotten
from lukas.domain.forgetting import (
    FORGETTING_STREAM,
    awaiting_confirmation,
    confirm_deadline,
    unfinished,
)
from lukas.domain.retention import first_kept_period

log = logging.getLogger(__name__)


class HeldWords(Protocol):
    """Something that keeps words from the log in memory (keys, folded states): it lets go
    of them when keys are deleted, and reads again what it needs."""

    def drop_held(self) -> None: ...


class CannotForgetError(Exception):
    """Forgetting would not reach every copy of the words (a log with words written before
    sealing began); nothing was deleted."""


@attrs.frozen
class Forgotten:
    person_id: str
    keys_deleted: int


class Forgetting:
    def __init__(
        self,
        *,
        store: EventStore,
        keys: DataKeys,
        checkpoints: Checkpoints,
        clock: Clock,
        held: Sequence[HeldWords] = (),
        plain_before: bool = False,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._store = store
        self._keys = keys
        self._checkpoints = checkpoints
        self._clock = clock
        self._held = list(held)
        self._plain_before = plain_before
        self._new_id = new_id

    def also_drop(self, held: HeldWords) -> None:
        self._held.append(held)

    async def forget(
        self, person_id: str, *, requested_by: str, via: str, event_id: str | None = None
    ) -> Forgotten:
        """Forgets at once: the command line's `--yes`, or a confirmed chat request."""
        self._refuse_plain_log()
        await self._record(
            ForgettingRequested(
                person_id=person_id,
                requested_by=requested_by,
                via=via,
                confirmed=True,
                confirm_by=None,
            ),
            event_id,
        )
        return await self._carry_out(person_id, requested_by)

    async def ask(self, person_id: str, *, requested_by: str, via: str) -> None:
        """Records a chat request; `confirm` carries it out if it comes in time."""
        self._refuse_plain_log()
        await self._record(
            ForgettingRequested(
                person_id=person_id,
                requested_by=requested_by,
                via=via,
                confirmed=False,
                confirm_by=confirm_deadline(self._clock.now()),
            )
        )

    async def waiting_for(self, requested_by: str) -> str | None:
        """Whom `requested_by` asked to forget and may still confirm."""
        events = [r.event for r in await self._store.read_stream(FORGETTING_STREAM)]
        return awaiting_confirmation(events, requested_by, self._clock.now())

    async def confirm(
        self, requested_by: str, *, via: str, request_id: str | None = None
    ) -> Forgotten | None:
        """Carries out `requested_by`'s request if it is still waiting; None if none is.
        `request_id` (the confirming message) makes it once only: the same message handled
        again (recovery after a crash) finds what it did, instead of nothing waiting."""
        recorded = await self._store.read_stream(FORGETTING_STREAM)
        confirmation = None if request_id is None else derive_event_id("forget", request_id)
        for at, earlier in enumerate(recorded):
            if earlier.event_id == confirmation and isinstance(earlier.event, ForgettingRequested):
                return await self._done_after(earlier.event, recorded[at + 1 :])
        events = [r.event for r in recorded]
        person_id = awaiting_confirmation(events, requested_by, self._clock.now())
        if person_id is not None:
            return await self.forget(
                person_id, requested_by=requested_by, via=via, event_id=confirmation
            )
        # Confirmed before, but not carried out to the end (the checkpoints could not be
        # scrubbed, and they were told to try again): this "yes" finishes it.
        for request in unfinished(events):
            if request.requested_by == requested_by:
                return await self._carry_out(request.person_id, requested_by)
        return None

    async def _done_after(
        self, request: ForgettingRequested, after: Sequence[RecordedEvent]
    ) -> Forgotten:
        for later in after:
            if isinstance(later.event, PersonForgotten) and (
                later.event.person_id == request.person_id
            ):
                return Forgotten(request.person_id, later.event.keys_deleted)
        return await self._carry_out(request.person_id, request.requested_by)

    async def finish_unfinished(self) -> list[Forgotten]:
        """Carries out confirmed requests a dead process left half done."""
        events = [r.event for r in await self._store.read_stream(FORGETTING_STREAM)]
        return [await self._carry_out(r.person_id, r.requested_by) for r in unfinished(events)]

    async def apply_retention(self, retention_days: int) -> int:
        """Drops the keys of every period retention no longer keeps; how many went."""
        before = first_kept_period(self._clock.now(), retention_days)
        if before is None:
            return 0
        deleted = await self._keys.drop_before(before)
        if deleted:
            await self._forget_everywhere()
            await self._record(
                KeysExpired(before=before, retention_days=retention_days, keys_deleted=deleted)
            )
            log.info("retention: %d keys of periods before %s deleted", deleted, before)
        return deleted

    async def _carry_out(self, person_id: str, requested_by: str) -> Forgotten:
        deleted = await self._keys.forget_person(person_id)
        await self._forget_everywhere()
        await self._record(
            PersonForgotten(person_id=person_id, requested_by=requested_by, keys_deleted=deleted)
        )
        return Forgotten(person_id, deleted)

    async def _forget_everywhere(self) -> None:
        # The checkpoints and what this process holds may have the words in the clear.
        await self._checkpoints.scrub()
        for held in self._held:
            held.drop_held()

    async def _record(self, event: DomainEvent, event_id: str | None = None) -> None:
        metadata = EventMetadata(correlation_id=self._new_id())
        new = NewEvent(event_id or self._new_id(), event, metadata)
        await self._store.append(FORGETTING_STREAM, [new], None)

    def _refuse_plain_log(self) -> None:
        if self._plain_before:
            raise CannotForgetError(
                "this log holds words written before they were sealed; forgetting would "
                "leave those: rewrite the log first (`lukas migrate --from OLD --to NEW`)"
            )
