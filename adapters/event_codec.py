"""Domain events to JSON and back, with upcasting of old schema versions on read.

The one cattrs converter of the project lives here, owned by the event stores, so the
domain never knows about JSON. Old events are never rewritten in the log: they are
upgraded each time they are read, one schema version at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

import cattrs
from cattrs.strategies import configure_tagged_union

from lukas.application.ports.event_store import EventMetadata, UnknownEventTypeError
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import EVENT_CLASSES, DomainEvent
from lukas.domain.requests import ReminderTarget, Request

JsonObject = dict[str, Any]
# (event type, schema version) -> a function from that version's data to the next version's.
Upcaster = Callable[[JsonObject], JsonObject]


def _message_route_v1_to_v2(data: JsonObject) -> JsonObject:
    # Before routes were recorded, every recorded message went to the model, tools offered.
    return {**data, "route": {"kind": "addressed", "request": None}}


def _reminder_claimer_v1_to_v2(data: JsonObject) -> JsonObject:
    # The claimer was only in the event's metadata, which an upcaster does not see.
    return {**data, "by": None}


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("MessageReceived", 1): _message_route_v1_to_v2,
    ("ReminderFiring", 1): _reminder_claimer_v1_to_v2,
}


class CorruptEventError(UnknownEventTypeError):
    """A stored event's data does not match its declared type and schema version."""


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(ConversationKey, lambda key: key.value)
    converter.register_structure_hook(ConversationKey, lambda value, _type: ConversationKey(value))
    converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    converter.register_structure_hook(dt.datetime, _datetime)
    # A recorded request says which kind it is, by class name, next to its fields.
    configure_tagged_union(ReminderTarget, converter, tag_name="kind")
    configure_tagged_union(Request, converter, tag_name="kind")
    # A route without a request holds None: the optional union needs its own hooks.
    optional_request = Request | None
    converter.register_unstructure_hook(
        optional_request,
        lambda request: None if request is None else converter.unstructure(request, Request),
    )
    converter.register_structure_hook(
        optional_request,
        lambda value, _type: (
            None if value is None else converter.structure(value, Request)  # type: ignore[arg-type]
        ),
    )
    return converter


def _datetime(value: object, _type: object) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError(f"a time must be an ISO 8601 string, not {type(value).__name__}")
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"the time {value!r} has no UTC offset")
    return moment


def _dumps(value: object) -> str:
    # ASCII with \u escapes: a lone surrogate in someone's text has no UTF-8 form, and SQLite
    # would refuse it; escaped, it survives the round trip exactly, in every store alike.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _object(data: str) -> JsonObject:
    try:
        raw = json.loads(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    if not isinstance(raw, dict):
        raise TypeError(f"the JSON is a {type(raw).__name__}, not an object")
    return raw


class EventCodec:
    def __init__(self, upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS) -> None:
        self._converter = _make_converter()
        self._classes: dict[str, type[DomainEvent]] = {c.TYPE: c for c in EVENT_CLASSES}
        self._upcasters = dict(upcasters)

    def known_types(self) -> frozenset[str]:
        return frozenset(self._classes)

    def encode(self, event: DomainEvent) -> tuple[str, int, str]:
        """(type, schema version, JSON data) for storing."""
        return event.TYPE, event.SCHEMA_VERSION, _dumps(self._converter.unstructure(event))

    def decode(self, event_type: str, schema_version: int, data: str) -> DomainEvent:
        cls = self._classes.get(event_type)
        if cls is None:
            raise UnknownEventTypeError(
                f"unknown event type {event_type!r}: written by a newer or different program?"
            )
        if schema_version > cls.SCHEMA_VERSION:
            raise UnknownEventTypeError(
                f"{event_type} schema version {schema_version} is newer than this program "
                f"reads (up to {cls.SCHEMA_VERSION}); upgrade Lukas"
            )
        try:
            raw = _object(data)
            for version in range(schema_version, cls.SCHEMA_VERSION):
                raw = self._upcasters[(event_type, version)](raw)
            return self._converter.structure(raw, cls)
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as error:
            raise CorruptEventError(
                f"stored {event_type} v{schema_version} cannot be read: {_describe(error)}"
            ) from error

    def encode_metadata(self, metadata: EventMetadata) -> str:
        return _dumps(self._converter.unstructure(metadata))

    def decode_metadata(self, data: str) -> EventMetadata:
        try:
            return self._converter.structure(_object(data), EventMetadata)
        except (ValueError, TypeError, cattrs.BaseValidationError) as error:
            raise CorruptEventError(f"stored event metadata cannot be read: {error}") from error

    def to_json_object(self, event: DomainEvent) -> JsonObject:
        """The event's data as plain JSON values, for `lukas replay --format jsonl`."""
        result: JsonObject = self._converter.unstructure(event)
        return result


def _describe(error: Exception) -> str:
    if isinstance(error, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(error)) or str(error)
    if isinstance(error, KeyError):
        return f"no upcaster from schema version {error}"
    return str(error)


def make_converter() -> cattrs.Converter:
    """A converter that knows the domain's types as the log stores them, for other stored
    data that holds them (projection checkpoints)."""
    return _make_converter()
