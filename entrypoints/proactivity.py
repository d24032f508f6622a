"""Wires Lukas's unasked side: thread judging, and the pause switch for `lukas pause`."""

from __future__ import annotations

import datetime as dt
import re

from lukas.application.proactive import ProactiveSwitch, ThreadJudge
from lukas.domain.engagement import ActiveHours, ActiveHoursError, EngagementOdds
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.pictures import timezone_of

__all__ = ["active_hours", "pause_end", "thread_judge", "timezone_of"]
from lukas.entrypoints.wiring import Chat, system_random

_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def active_hours(config: Config) -> ActiveHours:
    try:
        return ActiveHours.parse(config.active_hours)
    except ActiveHoursError as error:
        raise ConfigError(f"LUKAS_ACTIVE_HOURS: {error}") from None


def thread_judge(config: Config, chat: Chat) -> ThreadJudge:
    return ThreadJudge(
        store=chat.store,
        clock=chat.clock,
        random=system_random(),
        odds=EngagementOdds(
            thread_probability=config.thread_probability,
            reaction_probability=config.reaction_probability,
            busy_thread_messages=config.busy_thread_messages,
        ),
        hours=active_hours(config),
        timezone=timezone_of(config),
        switch=ProactiveSwitch(chat.store, chat.clock, chat.instances.me),
        instance_id=chat.instances.me,
    )


def pause_end(text: str, now: dt.datetime, timezone: dt.tzinfo) -> dt.datetime:
    """`--until` as a duration (30m, 2h, 1d) or a local date and time (2026-12-01 09:00)."""
    match = _DURATION.match(text.strip().lower())
    if match:
        return now + dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--until {text!r} is neither a duration (30m, 2h, 1d) nor a date and time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)
