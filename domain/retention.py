"""Periods of personal data, and which of them retention keeps (ADR 27).

Each person's words are sealed with a key for the ISO week they were recorded in, so that
dropping a week's keys forgets that week for everyone. Weeks, not days: a week's keys go
at once, and the checkpoints that held its words are folded again once a week at most.
"""

from __future__ import annotations

import datetime as dt


def period_of(at: dt.datetime) -> str:
    """The period a moment falls in: its ISO week in UTC, e.g. "2026-W49". Strings of
    this form sort in time order."""
    year, week, _ = at.astimezone(dt.UTC).isocalendar()
    return f"{year:04d}-W{week:02d}"


def first_kept_period(now: dt.datetime, retention_days: int) -> str | None:
    """The oldest period retention keeps: the week holding the moment `retention_days`
    ago, so a week goes once all of it is older than that. None: kept forever (0)."""
    if retention_days < 0:
        raise ValueError(f"retention must be 0 (forever) or more days, not {retention_days}")
    if retention_days == 0:
        return None
    return period_of(now - dt.timedelta(days=retention_days))
