"""Every event type, present and future: encoded and decoded unchanged, summarised on one line.

The samples are built from each class's own field types, so a new event is covered the day
it is added to EVENT_CLASSES; a field type this builder does not know fails loudly here.
"""

from __future__ import annotations

import datetime as dt
import typing

import attrs
import pytest
from fakes.event_samples import sample

from lukas.adapters.event_codec import EventCodec
from lukas.application.ports.event_store import EventMetadata
from lukas.domain.events import EVENT_CLASSES, DomainEvent
from lukas.entrypoints.event_summaries import summary


@pytest.mark.parametrize("fill_optional", [True, False], ids=["filled", "optional-empty"])
@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_every_event_round_trips_through_the_codec(
    event_class: type[DomainEvent], fill_optional: bool
) -> None:
    codec = EventCodec()
    event = sample(event_class, fill_optional=fill_optional)
    event_type, version, data = codec.encode(event)
    assert (event_type, version) == (event_class.TYPE, event_class.SCHEMA_VERSION)
    assert codec.decode(event_type, version, data) == event


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_every_event_has_a_one_line_summary(event_class: type[DomainEvent]) -> None:
    for fill_optional in (True, False):
        line = summary(sample(event_class, fill_optional=fill_optional))
        assert line.strip()
        assert "\n" not in line


def test_event_types_are_unique() -> None:
    types = [c.TYPE for c in EVENT_CLASSES]
    assert len(types) == len(set(types))


def test_a_type_without_a_summary_of_its_own_gets_a_line_of_its_fields() -> None:
    @attrs.frozen(kw_only=True)
    class Brandnew:
        TYPE: typing.ClassVar[str] = "Brandnew"
        SCHEMA_VERSION: typing.ClassVar[int] = 1
        what: str

    line = summary(Brandnew(what="a\nb"))  # type: ignore[arg-type]
    assert line == "Brandnew: what='a\\nb'"


@pytest.mark.parametrize("fill_optional", [True, False], ids=["filled", "optional-empty"])
@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_every_event_reads_back_from_a_stored_row(
    event_class: type[DomainEvent], fill_optional: bool
) -> None:
    # decode_row takes the generated hooks without detailed validation: they must agree
    # with the detailed ones on every event type.
    codec = EventCodec()
    event = sample(event_class, fill_optional=fill_optional)
    metadata = EventMetadata("corr", causation_id="cause", instance_id=None)
    row = (
        9,
        "stream",
        2,
        "id-9",
        *codec.encode(event),
        codec.encode_metadata(metadata),
        "2026-12-03T10:00:00+00:00",
    )
    recorded = codec.decode_row(row)
    assert (recorded.event, recorded.metadata) == (event, metadata)
    assert (recorded.position, recorded.stream_id, recorded.version, recorded.event_id) == (
        9,
        "stream",
        2,
        "id-9",
    )
    assert recorded.recorded_at == dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
