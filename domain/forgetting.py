"""The rules of forgetting a person: who may ask, and the confirmation a chat request needs.

Forgetting cannot be undone, so a request made in chat is carried out only once the person
who made it confirms, within a few minutes; the command line asks with `--yes` instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from lukas.domain.events import DomainEvent, ForgettingRequested, PersonForgotten

FORGETTING_STREAM = "forgetting"
CONFIRM_WITHIN = dt.timedelta(minutes=10)


def confirm_deadline(now: dt.datetime) -> str:
    return (now + CONFIRM_WITHIN).isoformat()


def awaiting_confirmation(
    events: Iterable[DomainEvent], requested_by: str, now: dt.datetime
) -> str | None:
    """The person `requested_by` asked to forget and has yet to confirm, if the time to
    confirm has not run out; the last request made counts."""
    waiting: tuple[str, str] | None = None
    for event in events:
        match event:
            case ForgettingRequested() if event.requested_by == requested_by:
                waiting = None if event.confirmed else (event.person_id, event.confirm_by or "")
            case PersonForgotten() if event.requested_by == requested_by:
                waiting = None
            case _:
                pass
    if waiting is None:
        return None
    person, deadline = waiting
    return person if deadline and now <= dt.datetime.fromisoformat(deadline) else None


def unfinished(events: Iterable[DomainEvent]) -> list[ForgettingRequested]:
    """Confirmed requests with no PersonForgotten after them (the process doing them
    died): they are carried out again, which is safe, since deleting keys is."""
    open_requests: dict[str, ForgettingRequested] = {}
    for event in events:
        match event:
            case ForgettingRequested(confirmed=True):
                open_requests[event.person_id] = event
            case PersonForgotten():
                open_requests.pop(event.person_id, None)
            case _:
                pass
    return list(open_requests.values())
