"""The event log as the web page reads it: opened at the first request that needs it (so a
file that is missing or damaged gets a page saying so, and a file that appears later is
found), and the projections the pages show, each kept up to date between requests."""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio

from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.event_store import MissingDatabaseError
from lukas.application.ports.event_store import EventStore
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.conversation_list import (
    CONVERSATION_LIST,
    ConversationListProjection,
    Conversations,
)
from lukas.application.projections.picture_gallery import (
    PICTURE_GALLERY,
    Gallery,
    PictureGalleryProjection,
)
from lukas.application.projections.roster import ROSTER_STREAM, Roster, RosterProjection
from lukas.application.projections.statistics import Statistics, statistics
from lukas.application.streams import Folded, catch_up_stream
from lukas.domain.reminders import REMINDER_STREAM, REMINDERS, ReminderBook
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.store_and_tokens import log_exists, open_checkpoints, open_store


class TeamLog:
    def __init__(self, db: Location) -> None:
        self.db = db
        self._opening = anyio.Lock()
        self._resources: AsyncExitStack | None = None
        self._store: EventStore | None = None
        self._conversations: CheckpointedProjection[Conversations] | None = None
        self._statistics: CheckpointedProjection[Statistics] | None = None
        self._pictures: CheckpointedProjection[Gallery] | None = None
        self._reminders = Folded(REMINDERS.initial)

    async def store(self) -> EventStore:
        """Raises EventStoreError (MissingDatabaseError, NotAnEventStoreError, ...) when the
        file cannot be read as Lukas's log; the next request tries again."""
        async with self._opening:
            if self._store is None:
                if not await log_exists(self.db):
                    raise MissingDatabaseError(f"there is no event log at {self.db} yet")
                resources = AsyncExitStack()
                try:
                    # Never created here: the page only reads, and writes to a log that exists.
                    store = await resources.enter_async_context(
                        open_store(self.db, create=False, check="before_writing")
                    )
                    checkpoints = await resources.enter_async_context(open_checkpoints(self.db))
                except BaseException:
                    await resources.aclose()
                    raise
                self._resources = resources
                self._conversations = CheckpointedProjection(
                    store, checkpoints, ConversationListProjection(), CONVERSATION_LIST
                )
                self._statistics = statistics(store, checkpoints)
                self._pictures = CheckpointedProjection(
                    store, checkpoints, PictureGalleryProjection(), PICTURE_GALLERY
                )
                if isinstance(store, SealedEventStore):
                    # Keys deleted by `lukas forget` or the bot: the page lets go of what
                    # it folded, and folds again with those words forgotten (ADR 27).
                    store.when_keys_deleted(self._drop_held)
                self._store = store
            return self._store

    def _drop_held(self) -> None:
        for kept in (self._conversations, self._statistics, self._pictures):
            if kept is not None:
                kept.drop_held()
        self._reminders = Folded(REMINDERS.initial)

    async def conversations(self) -> Conversations:
        await self.store()
        assert self._conversations is not None
        state, _ = await self._conversations.current()
        return state

    async def statistics(self) -> tuple[Statistics, int]:
        """The statistics, and the last position of the log folded into them."""
        await self.store()
        assert self._statistics is not None
        return await self._statistics.current()

    async def pictures(self) -> Gallery:
        await self.store()
        assert self._pictures is not None
        gallery, _ = await self._pictures.current()
        return gallery

    async def reminders(self) -> ReminderBook:
        store = await self.store()
        return (await catch_up_stream(store, REMINDER_STREAM, REMINDERS, self._reminders)).state

    async def roster(self) -> Roster:
        store = await self.store()
        projection = RosterProjection()
        roster = projection.initial()
        for recorded in await store.read_stream(ROSTER_STREAM):
            roster = projection.evolve(roster, recorded)
        return roster

    async def close(self) -> None:
        async with self._opening:
            for kept in (self._conversations, self._statistics, self._pictures):
                if kept is not None:
                    await kept.save()
            if self._resources is not None:
                await self._resources.aclose()
            self._store = self._resources = None
            self._conversations = self._statistics = self._pictures = None
