"""A stored row read into a RecordedEvent: the quick way for rows as Lukas writes them, and
the same refusals as ever, naming the row's position, for anything else."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from lukas.adapters.event_codec import CorruptEventError, EventCodec
from lukas.application.ports.event_store import EventMetadata, UnknownEventTypeError
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived, ReminderFiring
from lukas.domain.requests import ConfirmForgetting, ForgetPerson, Me, PersonRef, Request
from lukas.domain.routing import Route, RouteKind

CODEC = EventCodec()
MESSAGE = MessageReceived(
    conversation=ConversationKey.console("s1"),
    author_id="U1",
    author_name="Ada",
    text="honey?",
    platform_message_id="p1",
    token_count=4,
    route=Route.addressed(),
)
METADATA = '{"causation_id":null,"correlation_id":"c1","instance_id":"i1"}'
WHEN = "2026-12-03T10:00:00+00:00"


def row(
    data: str, *, event_type: str = "MessageReceived", schema: int = 2, **more: Any
) -> tuple[Any, ...]:
    return (
        7,
        "conversation:console:s1",
        1,
        "e7",
        event_type,
        schema,
        data,
        more.get("metadata", METADATA),
        more.get("recorded_at", WHEN),
    )


def message_data(**changes: Any) -> str:
    data = json.loads(CODEC.encode(MESSAGE)[2])
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not ...})


def test_a_row_as_lukas_writes_it_reads_back() -> None:
    recorded = CODEC.decode_row(row(CODEC.encode(MESSAGE)[2]))
    assert recorded.event == MESSAGE
    assert recorded.metadata == EventMetadata("c1", None, "i1")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (message_data(token_count="many"), "token_count"),
        (message_data(colour="brown"), "colour"),
        (message_data(text=...), "text"),
        (message_data(conversation="teapot:1"), "conversation"),
        (message_data(route={"kind": "sideways", "request": None}), "route"),
        ("[1, 2]", "not an object"),
        ('{"text": "cut off', "Unterminated string"),
    ],
    ids=["wrong type", "extra field", "missing field", "bad key", "bad route", "list", "cut"],
)
def test_a_corrupt_field_is_refused_naming_the_position_and_what_is_wrong(
    data: str, said: str
) -> None:
    with pytest.raises(CorruptEventError, match=r"^event at position 7: ") as refused:
        CODEC.decode_row(row(data))
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("metadata", "said"),
    [
        ('{"correlation": "x"}', "correlation"),
        ('{"causation_id": null}', "correlation_id"),
        ("null", "not an object"),
    ],
)
def test_corrupt_metadata_is_refused_naming_the_position(metadata: str, said: str) -> None:
    with pytest.raises(CorruptEventError, match=r"^event at position 7: ") as refused:
        CODEC.decode_row(row(CODEC.encode(MESSAGE)[2], metadata=metadata))
    assert said in str(refused.value)


def test_an_unknown_type_or_newer_schema_is_refused_naming_the_position() -> None:
    with pytest.raises(UnknownEventTypeError, match=r"^event at position 7: unknown event"):
        CODEC.decode_row(row("{}", event_type="TeaBrewed"))
    with pytest.raises(UnknownEventTypeError, match=r"^event at position 7: .* newer"):
        CODEC.decode_row(row(CODEC.encode(MESSAGE)[2], schema=3))


def test_a_bad_timestamp_is_refused_naming_the_position() -> None:
    with pytest.raises(CorruptEventError, match=r"^event at position 7: .*last Tuesday"):
        CODEC.decode_row(row(CODEC.encode(MESSAGE)[2], recorded_at="last Tuesday"))


def test_an_old_schema_version_is_upcast() -> None:
    recorded = CODEC.decode_row(row('{"reminder_id":"r1"}', event_type="ReminderFiring", schema=1))
    assert recorded.event == ReminderFiring(reminder_id="r1", by=None)


def test_text_the_quick_parser_refuses_reads_as_the_standard_one_reads_it() -> None:
    # A lone surrogate, escaped, is stored intact; orjson refuses it, json reads it.
    lonely = attrs.evolve(MESSAGE, text="half \ud83d a bear")
    assert CODEC.decode_row(row(CODEC.encode(lonely)[2])).event == lonely


def test_metadata_beyond_what_lukas_writes_reads_as_the_converter_reads_it() -> None:
    odd = '{"correlation_id": 5, "causation_id": null}'
    recorded = CODEC.decode_row(row(CODEC.encode(MESSAGE)[2], metadata=odd))
    assert recorded.metadata == CODEC.decode_metadata(odd)


@pytest.mark.parametrize(
    ("request_", "stored"),
    [
        (ForgetPerson(Me()), {"kind": "ForgetPerson", "target": {"kind": "Me"}}),
        (
            ForgetPerson(PersonRef("U0ADA")),
            {"kind": "ForgetPerson", "target": {"kind": "PersonRef", "ref": "U0ADA"}},
        ),
        (ConfirmForgetting(), {"kind": "ConfirmForgetting"}),
    ],
)
def test_a_forget_request_s_route_is_stored_with_its_kinds_and_reads_back(
    request_: Request, stored: dict[str, Any]
) -> None:
    message = attrs.evolve(MESSAGE, route=Route(RouteKind.REQUEST, request_))
    data = CODEC.encode(message)[2]
    assert json.loads(data)["route"] == {"kind": "request", "request": stored}
    assert CODEC.decode_row(row(data)).event == message
    assert CODEC.decode("MessageReceived", 2, data) == message
