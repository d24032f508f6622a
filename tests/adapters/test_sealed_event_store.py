"""The sealing event store over a real store's contract (see the contract suite) and its
own promises: no personal word reaches the store in the clear, every other field does,
and a deleted key turns exactly its owner's words into FORGOTTEN (ADR 27)."""

from __future__ import annotations

import attrs
import pytest
from fakes.clock import FakeClock
from fakes.event_samples import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.adapters.event_codec import EventCodec
from lukas.adapters.memory.data_keys import InMemoryDataKeys
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.sealing.sealed_store import RECHECK_SECONDS, BrokenSealError, SealedEventStore
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import EVENT_CLASSES, DomainEvent, MessageReceived
from lukas.domain.personal_data import FORGOTTEN, is_forgotten, owner_of, with_personal
from lukas.domain.requests import ForgetPerson, PersonRef
from lukas.domain.routing import Route, RouteKind

pytestmark = pytest.mark.anyio


def _new(event: DomainEvent, event_id: str = "e1") -> NewEvent:
    return NewEvent(event_id, event, EventMetadata(correlation_id=event_id))


def _said(author: str, text: str) -> MessageReceived:
    return MessageReceived(
        conversation=ConversationKey("console:test"),
        author_id=author,
        author_name=f"name of {author}",
        text=text,
        platform_message_id="p",
        token_count=3,
        route=Route.addressed(),
    )


def _personal_paths(event: DomainEvent) -> set[str]:
    paths: set[str] = set()

    def note(path: str, value: str) -> str:
        paths.add(path)
        return value

    with_personal(event, note)
    return paths


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.TYPE)
async def test_every_event_is_stored_without_its_personal_words_and_reads_back_whole(
    event_class: type[DomainEvent],
) -> None:
    clock = FakeClock()
    inner = InMemoryEventStore(clock)
    sealed = await SealedEventStore.open(inner, InMemoryDataKeys(), clock)
    event = sample(event_class, fill_optional=True)
    await sealed.append("s", [_new(event)], None)

    (stored,) = await inner.read_all()
    (read,) = await sealed.read_all()
    assert read.event == event
    paths = _personal_paths(event)
    if owner_of(event) is None:
        assert stored.event == event
        return
    assert paths, f"{event_class.TYPE} has an owner but no personal field"
    stored_values = _values(stored.event)
    assert all(stored_values[path].startswith("sealed:1:") for path in paths), stored_values
    _, _, data = EventCodec().encode(stored.event)
    assert data.count("sealed:1:") == len(paths)
    # What is not personal stays as it was: each personal field put back gives the event.
    originals = dict(_values(event).items())
    restored = with_personal(stored.event, lambda path, _value: originals[path])
    assert restored == event


def _values(event: DomainEvent) -> dict[str, str]:
    values: dict[str, str] = {}

    def note(path: str, value: str) -> str:
        values[path] = value
        return value

    with_personal(event, note)
    return values


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(
        st.tuples(st.sampled_from(["U1", "U2", "U3"]), st.text(min_size=1, max_size=40)),
        min_size=1,
        max_size=12,
    ),
    forgotten=st.sampled_from(["U1", "U2", "U3"]),
)
async def test_forgetting_one_person_leaves_everyone_else_unchanged(
    words: list[tuple[str, str]], forgotten: str
) -> None:
    clock = FakeClock()
    keys = InMemoryDataKeys()
    inner = InMemoryEventStore(clock)
    sealed = await SealedEventStore.open(inner, keys, clock)
    for at, (author, text) in enumerate(words):
        await sealed.append("s", [_new(_said(author, text), f"e{at}")], None)
        clock.advance(86_400 * 3)  # periods (weeks) go by: a person has several keys
    await keys.forget_person(forgotten)
    sealed.drop_held()

    for (author, text), read in zip(words, await sealed.read_all(), strict=True):
        assert isinstance(read.event, MessageReceived)
        if author == forgotten:
            assert is_forgotten(read.event.text)
            assert is_forgotten(read.event.author_name)
        else:
            assert (read.event.text, read.event.author_name) == (text, f"name of {author}")
        assert read.event.author_id == author  # ids stay in the clear


async def test_keys_deleted_by_another_process_are_let_go_of_within_a_second() -> None:
    clock = FakeClock()
    keys = InMemoryDataKeys()
    inner = InMemoryEventStore(clock)
    ours = await SealedEventStore.open(inner, keys, clock)
    theirs = await SealedEventStore.open(inner, keys, clock)
    reacted: list[str] = []
    ours.when_keys_deleted(lambda: reacted.append("dropped"))
    await theirs.append("s", [_new(_said("U1", "my secret"))], None)
    assert (await ours.read_all())[0].event == _said("U1", "my secret")

    await keys.forget_person("U1")
    clock.advance(RECHECK_SECONDS)
    (read,) = await ours.read_all()
    assert isinstance(read.event, MessageReceived)
    assert read.event.text is not None
    assert is_forgotten(read.event.text)
    assert reacted == ["dropped"]


async def test_a_sealed_word_moved_to_another_event_does_not_open() -> None:
    clock = FakeClock()
    inner = InMemoryEventStore(clock)
    sealed = await SealedEventStore.open(inner, InMemoryDataKeys(), clock)
    await sealed.append("s", [_new(_said("U1", "mine"), "e1")], None)
    (stored,) = await inner.read_all()
    await inner.append("s", [_new(stored.event, "e2")], None)  # copied under another id
    with pytest.raises(BrokenSealError, match="e2"):
        await sealed.read_all()


@pytest.mark.parametrize("damage", ["cut", "not base64", "flipped"])
async def test_a_sealed_word_altered_in_the_log_is_named_not_opened(damage: str) -> None:
    clock, keys = FakeClock(), InMemoryDataKeys()
    inner = InMemoryEventStore(clock)
    await (await SealedEventStore.open(inner, keys, clock)).append(
        "s", [_new(_said("U1", "mine"), "e1")], None
    )
    (stored,) = await inner.read_all()
    assert isinstance(stored.event, MessageReceived)
    head, _, blob = stored.event.text.rpartition(":")
    altered = {
        "cut": f"{head}:{blob[:-6]}",
        "not base64": f"{head}:\u00e9{blob}",
        "flipped": f"{head}:{'B' if blob[0] == 'A' else 'A'}{blob[1:]}",
    }[damage]
    # The same event, under its own id, with only the sealed text altered.
    other = InMemoryEventStore(clock)
    await other.append("s", [_new(attrs.evolve(stored.event, text=altered), "e1")], None)
    with pytest.raises(BrokenSealError, match="e1"):
        await (await SealedEventStore.open(other, keys, clock)).read_all()


async def test_a_forgotten_word_sealed_again_stays_forgotten() -> None:
    clock = FakeClock()
    inner = InMemoryEventStore(clock)
    sealed = await SealedEventStore.open(inner, InMemoryDataKeys(), clock)
    await sealed.append("s", [_new(attrs.evolve(_said("U1", "x"), text=FORGOTTEN))], None)
    (read,) = await sealed.read_all()
    assert isinstance(read.event, MessageReceived)
    assert is_forgotten(read.event.text)


async def test_a_log_with_events_before_sealing_began_says_so() -> None:
    clock = FakeClock()
    inner = InMemoryEventStore(clock)
    await inner.append("s", [_new(_said("U1", "plain"))], None)
    keys = InMemoryDataKeys()
    sealed = await SealedEventStore.open(inner, keys, clock)
    assert sealed.plain_before
    (read,) = await sealed.read_all()
    assert read.event == _said("U1", "plain")  # old words still read
    assert (await SealedEventStore.open(inner, keys, clock)).plain_before  # remembered


async def test_whom_an_admin_asked_to_forget_is_sealed_too() -> None:
    clock = FakeClock()
    inner = InMemoryEventStore(clock)
    sealed = await SealedEventStore.open(inner, InMemoryDataKeys(), clock)
    asked = attrs.evolve(
        _said("UADMIN", "forget @alice"),
        route=Route(RouteKind.REQUEST, ForgetPerson(PersonRef("alice"))),
    )
    await sealed.append("s", [_new(asked)], None)
    (stored,) = await inner.read_all()
    _, _, data = EventCodec().encode(stored.event)
    assert "alice" not in data
    assert (await sealed.read_all())[0].event == asked
