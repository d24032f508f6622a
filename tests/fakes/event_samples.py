"""An example of every event type, built from each class's own field types, so a new event
is covered by the tests that use these the day it is added to EVENT_CLASSES; a field type
this builder does not know fails loudly."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DomainEvent, Usage
from lukas.domain.failures import FailureKind
from lukas.domain.requests import PersonRef, SetReminder
from lukas.domain.routing import Route, RouteKind

_SIMPLE: dict[Any, Any] = {
    str: 'Zoë said "hi" \u2603\nand left',
    int: 7,
    float: 0.25,
    bool: True,
    ConversationKey: ConversationKey.slack_dm("D0ADA:1700000000.000001"),
    Usage: Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
    FailureKind: FailureKind.PROVIDER,
    tuple[str, ...]: ("U0ADA", "U0BOB"),
    Route: Route(
        RouteKind.REQUEST,
        SetReminder(
            target=PersonRef("U0ADA"),
            due=dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            text="stretch",
        ),
    ),
}


def sample_value(kind: Any, *, fill_optional: bool) -> Any:
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    arguments = typing.get_args(kind)
    if type(None) in arguments:
        if not fill_optional:
            return None
        (inner,) = [a for a in arguments if a is not type(None)]
        return sample_value(inner, fill_optional=fill_optional)
    raise AssertionError(f"no sample for a field of type {kind!r}: teach sample_value")


def sample(event_class: type[DomainEvent], *, fill_optional: bool) -> DomainEvent:
    hints = typing.get_type_hints(event_class)
    values = {
        field.name: sample_value(hints[field.name], fill_optional=fill_optional)
        for field in attrs.fields(event_class)
    }
    return event_class(**values)
