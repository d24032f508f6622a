"""Which way a message goes, decided once when it is recorded, and kept with it.

A message said to Lukas is either a request in one of the documented forms, carried out
without the model, or conversation, where the model may still choose a request as a tool.
A message in a thread Lukas joined unasked was said to colleagues, not to him: it is
conversation, and nothing in it is taken as a request. Recovery and replay read the route
from the log; nobody works it out again.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from lukas.domain.requests import Request, parse_request


class RouteKind(enum.StrEnum):
    ADDRESSED = "addressed"  # conversation said to Lukas: the model may choose a request
    UNASKED = "unasked"  # conversation in a thread he joined unasked: no requests at all
    REQUEST = "request"  # a documented form, carried out without the model


@attrs.frozen
class Route:
    kind: RouteKind
    request: Request | None = None

    @classmethod
    def addressed(cls) -> Route:
        return cls(RouteKind.ADDRESSED)

    @classmethod
    def unasked(cls) -> Route:
        return cls(RouteKind.UNASKED)

    @property
    def may_use_tools(self) -> bool:
        return self.kind is RouteKind.ADDRESSED

    def describe(self) -> str:
        if self.request is None:
            return self.kind.value
        return f"{self.kind.value}:{type(self.request).__name__}"


def route_for(text: str, *, unasked: bool, now: dt.datetime) -> Route:
    """The route of a message: `text` as requests are read from it, `now` in the team's
    time zone (for "tomorrow at 9")."""
    if unasked:
        return Route.unasked()
    request = parse_request(text, now)
    if request is None:
        return Route.addressed()
    return Route(RouteKind.REQUEST, request)
