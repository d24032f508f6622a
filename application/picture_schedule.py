"""The weekly bear picture: due once the week's posting time has passed, made once per week."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import attrs

from lukas.application.make_picture import PictureMaker, PictureOutcome, PictureRequest
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.domain.images import Period, ScheduleError, WeeklyTime
from lukas.domain.picture_stream import period_stream

log = logging.getLogger(__name__)

__all__ = [
    "ScheduleError",
    "WeeklySchedule",
    "next_picture",
    "post_due_picture",
    "run_schedule",
]


@attrs.frozen
class WeeklySchedule:
    weekday: int  # Monday is 0
    at: dt.time
    timezone: dt.tzinfo

    @classmethod
    def parse(cls, text: str, timezone: dt.tzinfo) -> WeeklySchedule:
        """'fri 10:00', 'weekly friday 10:00'; ScheduleError says why not."""
        weekly = WeeklyTime.parse(text)
        return cls(weekly.weekday, weekly.at, timezone)

    def due(self, now: dt.datetime) -> Period | None:
        """The week whose picture is due at `now`, or None before this week's posting time."""
        local = now.astimezone(self.timezone)
        if (local.weekday(), local.time()) < (self.weekday, self.at):
            return None
        return Period.containing(local.date())

    def this_week(self, now: dt.datetime) -> dt.datetime:
        """The posting moment in the week of `now` (weeks start on Monday), before or after it."""
        local = now.astimezone(self.timezone)
        day = local.date() + dt.timedelta(days=self.weekday - local.weekday())
        return dt.datetime.combine(day, self.at, tzinfo=self.timezone)


async def next_picture(
    schedule: WeeklySchedule, store: EventStore, now: dt.datetime
) -> dt.datetime | None:
    """When the weekly picture is next due; None if this week's is due and not made yet."""
    this_week = schedule.this_week(now)
    if now < this_week:
        return this_week
    period = schedule.due(now)
    if period is not None and not await store.read_stream_tail(period_stream(period), 1):
        return None
    # Added as wall time: the posting time stays put across a daylight-saving change.
    return dt.datetime.combine(
        this_week.date() + dt.timedelta(days=7), schedule.at, tzinfo=schedule.timezone
    )


async def post_due_picture(
    *,
    schedule: WeeklySchedule,
    maker: PictureMaker,
    store: EventStore,
    clock: Clock,
    channel: str,
) -> PictureOutcome | None:
    """Make this week's picture if it is due and nobody made it yet."""
    period = schedule.due(clock.now())
    if period is None or await store.read_stream_tail(period_stream(period), 1):
        return None
    outcome = await maker.make(PictureRequest(trigger="schedule", period=period, post_to=channel))
    if not outcome.skipped:
        log.warning("weekly picture for %s: %s", period, outcome.posted_as or outcome.failure)
    return outcome


async def run_schedule(
    *,
    schedule: Callable[[], Awaitable[WeeklySchedule]],
    maker: PictureMaker,
    store: EventStore,
    clock: Clock,
    channel: str,
    sleep: Callable[[float], Awaitable[None]],
    interval: float = 60.0,
) -> None:
    """Checks every `interval` seconds, against the schedule in force then (an admin may
    change it); a failure waits for the next week, as the seed asks."""
    while True:
        try:
            await post_due_picture(
                schedule=await schedule(), maker=maker, store=store, clock=clock, channel=channel
            )
        except Exception:
            log.warning("the picture schedule hit an error; it tries again later", exc_info=True)
        await sleep(interval)
