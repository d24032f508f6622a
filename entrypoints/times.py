"""Moments as the team reads them: in LUKAS_TIMEZONE, in words, the zone named."""

from __future__ import annotations

import datetime as dt


def zone_name(timezone: dt.tzinfo) -> str:
    # ZoneInfo's str() is its key ("Europe/Berlin"); a fixed offset names itself.
    return str(timezone)


def in_words(moment: dt.datetime, timezone: dt.tzinfo, *, year: bool = False) -> str:
    """'Thu 3 Dec 14:00 (Europe/Berlin)'; with the year for a transcript read later."""
    local = moment.astimezone(timezone)
    day = f"{local:%a} {local.day} {local:%b}" + (f" {local.year}" if year else "")
    return f"{day} {local:%H:%M} ({zone_name(timezone)})"
