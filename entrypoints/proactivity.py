"""Wires Lukas's unasked side: thread judging, check-ins, the roster, and the pause switch."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lukas.application.check_ins import CheckIns, CheckInSettings
from lukas.application.dm_sessions import DmSessions
from lukas.application.live_settings import LiveSettings, SettingsSource, Tunables
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.proactive import ProactiveSwitch, ThreadJudge
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.domain.roster import Member
from lukas.domain.settings import LIVE_SETTINGS
from lukas.domain.when import WhenError, parse_duration, parse_when
from lukas.entrypoints.config import Config, ConfigError, value_of
from lukas.entrypoints.pictures import timezone_of
from lukas.entrypoints.wiring import Chat, system_random, token_counter

__all__ = [
    "check_ins",
    "live_settings",
    "pause_end",
    "thread_judge",
    "timezone_of",
    "tunables",
]


def tunables(config: Config) -> Tunables:
    """The settings admins may change, as configured (before any change in the log)."""
    return Tunables(**{s.key: value_of(config, s) for s in LIVE_SETTINGS})


def live_settings(config: Config, chat: Chat) -> LiveSettings:
    return LiveSettings(chat.store, tunables(config), chat.instances.me)


def thread_judge(config: Config, chat: Chat, settings: SettingsSource) -> ThreadJudge:
    return ThreadJudge(
        store=chat.store,
        clock=chat.clock,
        random=system_random(),
        settings=settings,
        timezone=timezone_of(config),
        busy_thread_messages=config.busy_thread_messages,
        switch=ProactiveSwitch(chat.store, chat.clock, chat.instances.me),
        instance_id=chat.instances.me,
    )


def check_ins(
    config: Config,
    chat: Chat,
    *,
    messages: DirectMessages,
    sessions: DmSessions,
    lukas_id: str,
    settings: SettingsSource,
) -> CheckIns:
    return CheckIns(
        store=chat.store,
        clock=chat.clock,
        random=system_random(),
        settings=CheckInSettings(
            timezone=timezone_of(config),
            lukas_id=lukas_id,
            persona=PERSONA_SYSTEM_PROMPT,
        ),
        tunables=settings,
        switch=ProactiveSwitch(chat.store, chat.clock, chat.instances.me),
        model=chat.model,
        counter=token_counter(config),
        messages=messages,
        sessions=sessions,
        instances=chat.instances,
        zone_of=member_zone,
    )


def member_zone(member: Member) -> dt.tzinfo | None:
    """The member's own time zone from their profile, if it names one this system knows."""
    if not member.timezone:
        return None
    try:
        return ZoneInfo(member.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def pause_end(text: str, now: dt.datetime, timezone: dt.tzinfo) -> dt.datetime:
    """`--until` as a duration (30m, 2h, 1d), or a time as people say it in Slack
    ("tomorrow 9am", "2026-12-01 09:00"), or an ISO date and time with its offset."""
    try:
        return now + parse_duration(text)
    except WhenError:
        pass
    try:
        return parse_when(text, now.astimezone(timezone))
    except WhenError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--until {text!r} is neither a duration (30m, 2h, 1d) nor a date and time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)
