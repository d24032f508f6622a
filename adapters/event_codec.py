"""Domain events to JSON and back, with upcasting of old schema versions on read.

The one cattrs converter of the project lives here, owned by the event stores, so the
domain never knows about JSON. Old events are never rewritten in the log: they are
upgraded each time they are read, one schema version at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import cattrs
import orjson
from cattrs.strategies import configure_tagged_union

from lukas.application.ports.event_store import (
    EventMetadata,
    RecordedEvent,
    UnknownEventTypeError,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import EVENT_CLASSES, DomainEvent
from lukas.domain.requests import ForgetTarget, ReminderTarget, Request
from lukas.domain.routing import Route, RouteKind

JsonObject = dict[str, Any]
# (event type, schema version) -> a function from that version's data to the next version's.
Upcaster = Callable[[JsonObject], JsonObject]


def _message_route_v1_to_v2(data: JsonObject) -> JsonObject:
    # Before routes were recorded, every recorded message went to the model, tools offered.
    return {**data, "route": {"kind": "addressed", "request": None}}


def _reminder_claimer_v1_to_v2(data: JsonObject) -> JsonObject:
    # The claimer was only in the event's metadata, which an upcaster does not see.
    return {**data, "by": None}


def _reply_first_text_v1_to_v2(data: JsonObject) -> JsonObject:
    # Replies were posted whole before streaming: no first piece was timed.
    return {**data, "first_text_ms": None}


def _reply_person_to_v3(data: JsonObject) -> JsonObject:
    # Before personal data was sealed, no reply named whose message it answered.
    return {**data, "person_id": None}


def _picture_requester_v1_to_v2(data: JsonObject) -> JsonObject:
    # Before personal words were sealed, a picture did not say who had asked for it.
    return {**data, "requester": None}


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("MessageReceived", 1): _message_route_v1_to_v2,
    ("ReminderFiring", 1): _reminder_claimer_v1_to_v2,
    ("ReplyGenerated", 1): _reply_first_text_v1_to_v2,
    ("ReplyGenerated", 2): _reply_person_to_v3,
    ("ReplyFailed", 1): _reply_person_to_v3,
    ("ImageGenerated", 1): _picture_requester_v1_to_v2,
}


class CorruptEventError(UnknownEventTypeError):
    """A stored event's data does not match its declared type and schema version."""


def _make_converter(*, detailed_validation: bool = True) -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed_validation)
    converter.register_unstructure_hook(ConversationKey, lambda key: key.value)
    converter.register_structure_hook(ConversationKey, lambda value, _type: _conversation(value))
    converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    converter.register_structure_hook(dt.datetime, _datetime)
    # A recorded request says which kind it is, by class name, next to its fields.
    configure_tagged_union(ReminderTarget, converter, tag_name="kind")
    configure_tagged_union(ForgetTarget, converter, tag_name="kind")
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
    if not detailed_validation:
        _share_plain_routes(converter)
    return converter


def _share_plain_routes(converter: cattrs.Converter) -> None:
    """Nearly every message's route is a bare kind: one frozen Route per kind serves them
    all, so a long log is not made of a million equal routes."""
    generated = converter.get_structure_hook(Route)

    def structure(value: Any, route_type: Any) -> Route:
        if type(value) is dict and len(value) == 2 and value.get("request", ...) is None:
            return _plain_route(value["kind"])
        route: Route = generated(value, route_type)
        return route

    converter.register_structure_hook(Route, structure)


@functools.lru_cache(maxsize=16)
def _plain_route(kind: str) -> Route:
    return Route(RouteKind(kind))


# A log holds many events per conversation: its key is validated once, not per event. The
# bound is well above the conversations a team has going at once.
@functools.lru_cache(maxsize=65_536)
def _conversation(value: str) -> ConversationKey:
    return ConversationKey(value)


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


def _fast_object(data: str) -> JsonObject:
    """`_object`, through orjson when it can: any text orjson refuses (a lone surrogate, NaN,
    a huge integer, deep nesting) goes the standard library's way, which decides."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _object(data)
    if not isinstance(raw, dict):
        raise TypeError(f"the JSON is a {type(raw).__name__}, not an object")
    return raw


_METADATA_FIELDS = frozenset(("correlation_id", "causation_id", "instance_id"))


def _plain_metadata(raw: JsonObject) -> EventMetadata | None:
    """The metadata when it is exactly what Lukas writes (strings and nulls); None for
    anything else, which the converter then reads or refuses in detail."""
    if not raw.keys() <= _METADATA_FIELDS:
        return None
    correlation = raw.get("correlation_id")
    causation = raw.get("causation_id")
    instance = raw.get("instance_id")
    if (
        type(correlation) is str
        and (causation is None or type(causation) is str)
        and (instance is None or type(instance) is str)
    ):
        return EventMetadata(correlation, causation, instance)
    return None


Structure = Callable[[Any, Any], Any]
StoredRow = Sequence[Any]  # position, stream, version, id, type, schema, data, metadata, time


class EventCodec:
    def __init__(self, upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS) -> None:
        self._converter = _make_converter()
        self._classes: dict[str, type[DomainEvent]] = {c.TYPE: c for c in EVENT_CLASSES}
        self._upcasters = dict(upcasters)
        # Rows of the current schema version are structured by generated hooks that stop at
        # the first problem; a row they refuse is decoded again by `decode`, whose detailed
        # validation says what is wrong. Old versions always go through `decode`.
        fast = _make_converter(detailed_validation=False)
        self._current: dict[tuple[str, int], tuple[Structure, type[DomainEvent]]] = {
            (c.TYPE, c.SCHEMA_VERSION): (fast.get_structure_hook(c), c) for c in EVENT_CLASSES
        }

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

    def decode_row(self, row: StoredRow) -> RecordedEvent:
        """A stored row as the event store's port gives it; a row that cannot be read is an
        UnknownEventTypeError (a CorruptEventError when damaged) naming its position."""
        position, stream_id, version, event_id, event_type, schema, data, meta, recorded = row
        try:
            event = self._decode_current(event_type, schema, data)
            metadata = self.decode_metadata(meta)
            # SQLite keeps the time as ISO text; PostgreSQL's driver gives a datetime.
            if isinstance(recorded, dt.datetime):
                recorded_at = recorded
            else:
                recorded_at = dt.datetime.fromisoformat(recorded)
        except UnknownEventTypeError as error:
            raise type(error)(f"event at position {position}: {error}") from error
        except (TypeError, ValueError) as error:
            raise CorruptEventError(f"event at position {position}: {error}") from error
        return RecordedEvent(
            position=position,
            stream_id=stream_id,
            version=version,
            event_id=event_id,
            event=event,
            metadata=metadata,
            recorded_at=recorded_at,
        )

    def _decode_current(self, event_type: str, schema_version: int, data: str) -> DomainEvent:
        current = self._current.get((event_type, schema_version))
        if current is not None:
            structure, cls = current
            try:
                event: DomainEvent = structure(_fast_object(data), cls)
            except Exception:  # read again by `decode` below, which says what is wrong
                return self.decode(event_type, schema_version, data)
            return event
        return self.decode(event_type, schema_version, data)

    def encode_metadata(self, metadata: EventMetadata) -> str:
        return _dumps(self._converter.unstructure(metadata))

    def decode_metadata(self, data: str) -> EventMetadata:
        try:
            raw = _fast_object(data)
            return _plain_metadata(raw) or self._converter.structure(raw, EventMetadata)
        except (ValueError, TypeError, cattrs.BaseValidationError) as error:
            raise CorruptEventError(
                f"stored event metadata cannot be read: {_describe(error)}"
            ) from error

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
