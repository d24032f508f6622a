"""Reading the times admins give on the command line for Lukas's unasked side."""

from __future__ import annotations

import datetime as dt

from lukas.domain.when import WhenError, parse_duration, parse_when
from lukas.entrypoints.config import ConfigError


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
