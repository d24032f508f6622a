"""`lukas status`: what `status` says in chat, plus the provider as this machine would use
it, the next picture and the work a restart would finish."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TextIO

from lukas.adapters.memory.checkpoints import NoCheckpoints
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.live_settings import LiveSettings
from lukas.application.picture_schedule import ScheduleError, WeeklySchedule, next_picture
from lukas.application.ports.checkpoints import Checkpoints
from lukas.application.ports.event_store import EventStore
from lukas.application.proactive import ProactiveSwitch
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.pending_work import (
    PENDING_WORK,
    PendingWork,
    PendingWorkProjection,
)
from lukas.application.requests.team_info import status_text
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.pictures import image_key, timezone_of
from lukas.entrypoints.store_and_tokens import log_exists, open_checkpoints
from lukas.entrypoints.times import in_words
from lukas.entrypoints.tunables import tunables
from lukas.entrypoints.wiring import choose_chat_model, open_store


async def show_status(
    config: Config, db: Location, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    clock = SystemClock()
    timezone = timezone_of(config)
    # The same choice the console and the bot make, local Ollama probe included.
    choice = await choose_chat_model(config, environ)
    try:
        provider = choice.model.name
    finally:
        aclose = getattr(choice.model, "aclose", None)
        if aclose is not None:
            await aclose()
    if choice.notice:
        err.write(choice.notice + "\n")
    async with _log(db) as (store, checkpoints, exists):
        settings = LiveSettings(store, tunables(config))
        report = await status_text(
            store, settings, ProactiveSwitch(store, clock), timezone, provider=provider
        )
        picture = await _picture_line(
            config, environ, store, settings, now=clock.now(), timezone=timezone
        )
        folded = CheckpointedProjection(store, checkpoints, PendingWorkProjection(), PENDING_WORK)
        pending, _ = await folded.current()
    out.write(report + "\n")
    out.write(f"• next picture: {picture}\n")
    out.write(f"• pending work: {_pending_line(pending)}\n")
    if not exists:
        out.write(f"(no event log at {db} yet: nothing has happened there)\n")
    return 0


@asynccontextmanager
async def _log(db: Location) -> AsyncIterator[tuple[EventStore, Checkpoints, bool]]:
    """The event log; an empty one when there is none yet, so a fresh checkout gets the
    defaults rather than an error, and no file is made by looking."""
    if not await log_exists(db):
        yield InMemoryEventStore(SystemClock()), NoCheckpoints(), False
        return
    async with open_store(db, create=False) as store, open_checkpoints(db) as checkpoints:
        yield store, checkpoints, True


async def _picture_line(
    config: Config,
    environ: Mapping[str, str],
    store: EventStore,
    settings: LiveSettings,
    *,
    now: dt.datetime,
    timezone: dt.tzinfo,
) -> str:
    if not config.image.channel:
        return "none scheduled (LUKAS_IMAGE_CHANNEL is not set)"
    try:
        image_key(config, environ)
    except ConfigError as error:
        return f"none ({error})"
    try:
        schedule = WeeklySchedule.parse((await settings.current()).image_schedule, timezone)
    except ScheduleError as error:
        return f"none (LUKAS_IMAGE_SCHEDULE: {error})"
    due = await next_picture(schedule, store, now)
    if due is None:
        return "this week's is due now (posted while `lukas slack` runs)"
    return f"{in_words(due, timezone)} in {config.image.channel}"


def _pending_line(pending: PendingWork) -> str:
    unanswered = sum(m.outcome is None for m in pending.messages.values())
    undelivered = len(pending.messages) - unanswered
    return (
        f"{len(pending.inbound)} delivery(ies) not read, {unanswered} message(s) not answered,"
        f" {undelivered} reply(ies) not delivered"
    )
