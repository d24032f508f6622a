"""Hostile input at every door: Slack payloads, Slack text, stored event data, huge and
malformed messages, and a database file with rows this program cannot read.

Bugs this suite found are fixed; their reproducers stay at the end of the file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
from fakes.chat_channel import FakeChatChannel
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.events import new_event
from fakes.token_counter import FakeTokenCounter
from fakes.world import make_world
from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.adapters.event_codec import CorruptEventError, EventCodec
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.adapters.slack.events import BotIdentity, Ignored, SlackMessage, read_event
from lukas.adapters.slack.pieces import MAX_MESSAGE, split_message
from lukas.adapters.slack.text import to_plain, without_mentions
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.application.compose_reply import ReplyComposer
from lukas.application.context import ContextBuilder
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.ports.event_store import (
    NO_STREAM,
    EventMetadata,
    EventStore,
    EventStoreError,
    UnknownEventTypeError,
)
from lukas.domain.context_window import ContextLimits
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import EVENT_CLASSES, MessageReceived
from lukas.domain.failures import FailureKind
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.domain.routing import Route

ME = BotIdentity(user_id="ULUKAS", bot_id="BLUKAS")

# Text with everything a hostile sender might try: NUL bytes, lone surrogates (which a JSON
# payload can carry as "\ud800"), control characters, odd spaces and Slack's own markup.
any_char = st.characters(codec=None, exclude_categories=())
fragments = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\x000\x00",
        "<@ULUKAS>",
        "<@U123|ada>",
        "<#C1|general>",
        "<http://x.test|x>",
        "<!channel>",
        "&amp;",
        "&",
        "<",
        ">",
        "**bold**",
        "[link](https://bear.test/honey)",
        "[two words](https://bear.test/a b)",
        "`",
        "```",
        "```python\n",
        "\n```\n",
        "~~~\n",
        "# heading",
        "\n\n",
        "\n",
        " ",
        "\t",
        "\u2028",
        "\u3000",
        "\r\n",
    ]
)
hostile_text = st.lists(st.one_of(st.text(any_char, max_size=8), fragments), max_size=30).map(
    "".join
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(any_char, max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)


# --- Slack payloads -----------------------------------------------------------------------

PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(["message", "app_mention", "reaction_added", ""]),
    "subtype": st.sampled_from(["message_changed", "bot_message", "channel_join"]),
    "bot_id": st.sampled_from(["B1", "", "BLUKAS"]),
    "bot_profile": st.just({"name": "other bot"}),
    "user": st.sampled_from(["U1", "ULUKAS", "", "W2"]),
    "channel": st.sampled_from(["C1", "D1", "", "G9"]),
    "ts": st.sampled_from(["1700000000.000100", "", "1"]),
    "text": hostile_text,
    "thread_ts": st.sampled_from(["1700000000.000100", "1699999999.000001"]),
    "channel_type": st.sampled_from(["im", "channel", "mpim"]),
}
REQUIRED = ("type", "user", "channel", "ts", "text")
# Mostly well-formed messages (the paths that end in a SlackMessage), at times with one
# known field given junk.
near_messages = st.builds(
    lambda base, optional, key, junk: {**base, **optional, **({key: junk} if key else {})},
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["message", "app_mention"]),
            **{key: PLAUSIBLE[key].filter(bool) for key in REQUIRED[1:]},
        }
    ),
    st.fixed_dictionaries(
        {}, optional={key: PLAUSIBLE[key] for key in PLAUSIBLE if key not in REQUIRED}
    ),
    st.sampled_from([None, *PLAUSIBLE]),
    json_values,
)
slack_events = st.one_of(
    json_values,
    st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries(
            {}, optional={key: st.one_of(value, json_values) for key, value in PLAUSIBLE.items()}
        ),
        st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    ),
    near_messages,
    near_messages,
)


@settings(max_examples=150, deadline=None)
@given(slack_events)
def test_read_event_takes_anything_and_answers_a_message_or_a_reason(event: object) -> None:
    result = read_event(event, ME)
    assert isinstance(result, SlackMessage | Ignored)
    if isinstance(result, Ignored):
        assert isinstance(result.reason, str)
        assert result.reason
        return
    assert isinstance(event, dict)
    assert event.get("type") in ("message", "app_mention")
    assert event.get("subtype") is None
    assert not event.get("bot_id")
    assert not event.get("bot_profile")
    assert result.user == event["user"] != ME.user_id
    assert (result.channel, result.ts, result.text) == (
        event["channel"],
        event["ts"],
        event["text"],
    )
    assert all(isinstance(v, str) and v for v in (result.user, result.channel, result.ts))
    assert result.thread_ts is None or isinstance(result.thread_ts, str)


# --- Slack text ---------------------------------------------------------------------------


async def _name_of(user: str) -> str:
    assert user != ME.user_id, "Lukas's own mention must never be looked up"
    return f"name-of-{user}"


@settings(max_examples=120, deadline=None)
@given(hostile_text)
def test_to_plain_takes_any_text(text: str) -> None:
    plain = anyio.run(to_plain, text, ME.user_id, _name_of)
    assert isinstance(plain, str)
    assert plain == plain.strip()


_JOINER = "\u200d"


@settings(max_examples=150, deadline=None)
@given(hostile_text)
def test_without_mentions_takes_any_text_and_leaves_no_mention(text: str) -> None:
    markdown = without_mentions(text)
    assert "<@" not in markdown
    assert "<!" not in markdown
    # Only joiners were added: everything the model wrote is still there, in order.
    assert markdown.replace(_JOINER, "") == text.replace(_JOINER, "")
    if "<" not in text:
        assert markdown == text


_FENCE = re.compile(r"`{3,}|~{3,}")


def assert_split_keeps_everything(text: str, pieces: list[str], limit: int) -> None:
    """Each piece fits and is trimmed; in order they are the text, give or take whitespace
    at the cuts, and for a cut inside a code block, the fence closing the piece before it
    and the same fence, with its info string, opening the piece after it."""
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert all(piece == piece.strip() for piece in pieces)
    rest = text.strip()

    @functools.cache
    def rebuilds(n: int, at: int, reopened: str | None) -> bool:
        """Whether pieces[n:] are rest[at:]; `reopened` is the fence the piece before
        closed, if it closed one the text does not."""
        if n == len(pieces):
            return reopened is None and not rest[at:].strip()
        piece = pieces[n]
        starts = [at]
        if reopened is None:
            while starts[0] < len(rest) and rest[starts[0]].isspace():
                starts[0] += 1
        else:
            opening, newline, piece = piece.partition("\n")
            fence = _FENCE.match(opening)
            if not newline or fence is None or fence.group() != reopened:
                return False
            # The fence opened again, info string and all, is one that opened code before.
            if opening not in rest[:at]:
                return False
            # A cut after a line of code drops that line's newline; one inside a line, none.
            starts = [at + 1, at] if rest.startswith("\n", at) else [at]
        for start in starts:
            if rest.startswith(piece, start) and rebuilds(n + 1, start + len(piece), None):
                return True
            head, newline, closing = piece.rpartition("\n")
            if (
                newline
                and _FENCE.fullmatch(closing)
                and rest.startswith(head, start)
                and rebuilds(n + 1, start + len(head), closing)
            ):
                return True
        return False

    assert rebuilds(0, 0, None), "the pieces are not the text"


@settings(max_examples=300, deadline=None)
@given(hostile_text, st.integers(min_value=1, max_value=40))
def test_split_message_loses_nothing_at_any_limit(text: str, limit: int) -> None:
    assert_split_keeps_everything(text, split_message(text, limit), limit)


long_text = st.lists(
    st.one_of(
        st.sampled_from(["honey ", "bear\n", "\n\n", " ", "x" * 500, "```js\n", "\n```\n"]),
        hostile_text,
    ),
    max_size=400,
).map("".join)


@settings(max_examples=30, deadline=None)
@given(long_text)
def test_split_message_loses_nothing_at_slacks_limit(text: str) -> None:
    for source in (text, without_mentions(text)):
        assert_split_keeps_everything(source, split_message(source), MAX_MESSAGE)


# --- Stored event data --------------------------------------------------------------------

CODEC = EventCodec()
SAMPLE = MessageReceived(
    conversation=ConversationKey("console:x"),
    author_id="U1",
    author_name="Ada",
    text="hi",
    platform_message_id="p1",
    token_count=3,
    route=Route.addressed(),
)


@st.composite
def tampered_data(draw: st.DrawFn) -> str:
    """A real event's JSON with a field dropped, retyped or added."""
    data: dict[str, Any] = json.loads(CODEC.encode(SAMPLE)[2])
    key = draw(st.sampled_from([*data, "extra"]))
    if draw(st.booleans()) and key in data:
        del data[key]
    else:
        data[key] = draw(json_values)
    return json.dumps(data)


event_types = st.one_of(st.sampled_from([c.TYPE for c in EVENT_CLASSES]), st.text(max_size=12))
stored_data = st.one_of(
    st.text(any_char, max_size=40), json_values.map(json.dumps), tampered_data()
)


@settings(max_examples=150, deadline=None)
@given(event_types, st.one_of(st.integers(-3, 3), st.integers()), stored_data)
def test_decode_raises_only_unknown_event_type_errors(
    event_type: str, version: int, data: str
) -> None:
    try:
        event = CODEC.decode(event_type, version, data)
    except UnknownEventTypeError:
        return  # the one kind of error allowed (CorruptEventError is one of them)
    assert event_type == type(event).TYPE


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(any_char, max_size=40), json_values.map(json.dumps)))
def test_decode_metadata_raises_only_corrupt_event_errors(data: str) -> None:
    try:
        metadata = CODEC.decode_metadata(data)
    except CorruptEventError:
        return
    assert isinstance(metadata, EventMetadata)


# --- Huge and malformed messages through the handler --------------------------------------

FIFTY_THOUSAND = ("Honey & <bees> " * 4000)[:50_000]
NUL_BYTES = "before\x00between\x00\x00after \x00"
LONE_SURROGATE = "a broken emoji \ud83d and \udc3b alone"


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    clock = FakeClock()
    if request.param == "memory":
        yield InMemoryEventStore(clock)
    else:
        async with await SqliteEventStore.open(tmp_path / "lukas.db", clock) as sqlite:
            yield sqlite


def handler_over(store: EventStore) -> MessageHandler:
    """The world's wiring (fakes for every port) over any event store."""
    counter, clock = FakeTokenCounter(), FakeClock()
    builder = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT, counter.count(PERSONA_SYSTEM_PROMPT), ContextLimits()
    )
    composer = ReplyComposer(
        model=FakeChatModel(), counter=counter, clock=clock, context=builder, random=lambda: 0.0
    )
    return MessageHandler(
        store=store,
        composer=composer,
        channel=FakeChatChannel(),
        counter=counter,
        context=builder,
    )


def incoming(text: str, platform_id: str = "p1") -> IncomingMessage:
    return IncomingMessage(
        conversation=ConversationKey("console:hostile"),
        author_id="U1",
        author_name="Ada",
        text=text,
        platform_message_id=platform_id,
    )


async def stored_texts(store: EventStore) -> list[str]:
    return [e.event.text for e in await store.read_all() if isinstance(e.event, MessageReceived)]


@pytest.mark.anyio
@pytest.mark.parametrize("text", [FIFTY_THOUSAND, NUL_BYTES], ids=["50k-chars", "nul-bytes"])
async def test_a_huge_or_nul_laden_message_is_stored_and_read_back_intact(
    store: EventStore, text: str
) -> None:
    outcome = await handler_over(store).handle(incoming(text))
    assert outcome.delivered
    if len(text) == 50_000:
        assert outcome.failure is FailureKind.MESSAGE_TOO_LONG  # answered, not sent to a model
    assert await stored_texts(store) == [text]


@pytest.mark.anyio
async def test_a_huge_message_survives_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "lukas.db"
    async with await SqliteEventStore.open(path, FakeClock()) as sqlite:
        await handler_over(sqlite).handle(incoming(FIFTY_THOUSAND))
        await handler_over(sqlite).handle(incoming(NUL_BYTES, "p2"))
    async with await SqliteEventStore.open(path, FakeClock(), create=False) as sqlite:
        assert await stored_texts(sqlite) == [FIFTY_THOUSAND, NUL_BYTES]


@pytest.mark.anyio
async def test_a_lone_surrogate_is_stored_intact_or_refused_cleanly(store: EventStore) -> None:
    """SQLite stores UTF-8, which has no lone surrogates; the memory store keeps Python str.

    Either outcome is acceptable here: kept exactly, or refused with a ValueError (or an
    EventStoreError) that leaves nothing behind and the store still usable.
    """
    handler = handler_over(store)
    refused: Exception | None = None
    try:
        outcome = await handler.handle(incoming(LONE_SURROGATE))
    except (EventStoreError, ValueError) as error:
        refused = error
    else:
        assert outcome.delivered
        assert await stored_texts(store) == [LONE_SURROGATE]
    if refused is not None:
        assert "surrogate" in str(refused)  # says what is wrong with the message
        assert await store.read_all() == []
    after = await handler.handle(incoming("and now a normal message", "p2"))
    assert after.delivered
    assert (await stored_texts(store))[-1] == "and now a normal message"


# --- A database with rows this program cannot read ----------------------------------------

_INSERT = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata,"
    " recorded_at) VALUES (?, 's', ?, ?, ?, ?, ?, ?)"
)
_GOOD_METADATA = '{"correlation_id":"x","causation_id":null,"instance_id":null}'
_WHEN = "2026-11-25T09:00:00+00:00"


@attrs.frozen
class BadRow:
    type: str = "MessageReceived"
    schema_version: int = 1
    data: str = ""  # "" stands for a good MessageReceived
    metadata: str = _GOOD_METADATA
    recorded_at: str = _WHEN

    @property
    def row_end(self) -> tuple[str, str]:
        return self.metadata, self.recorded_at


BAD_ROWS = {
    "unknown type": BadRow(type="TeaBrewed"),
    "newer schema": BadRow(schema_version=99),
    "invalid JSON": BadRow(data='{"text": "cut off'),  # only past the CHECK constraint
    "wrong shape": BadRow(data='{"text": 5, "colour": "brown"}'),
    "JSON not an object": BadRow(data="null"),
    "deep nesting": BadRow(data="[" * 990 + "]" * 990),
    "bad metadata": BadRow(metadata='{"correlation": "x"}'),
    "bad timestamp": BadRow(recorded_at="last Tuesday"),
}


# Reading these fails, but not with an error that names the row (bugs, see the report).
async def make_log_with_a_bad_row(path: Path, bad: BadRow) -> None:
    """Positions 1-3 good, 4 bad, 5 good; every connection closed afterwards."""
    async with await SqliteEventStore.open(path, FakeClock()) as sqlite:
        await sqlite.append("s", [new_event(f"good {n}") for n in range(3)], NO_STREAM)
    good_data = CODEC.encode(SAMPLE)[2]
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA ignore_check_constraints = ON")
        raw.execute(
            _INSERT,
            ("bad", 4, bad.type, bad.schema_version, bad.data or good_data, *bad.row_end),
        )
        raw.execute(_INSERT, ("after", 5, "MessageReceived", 1, good_data, _GOOD_METADATA, _WHEN))
        raw.commit()


def file_state(path: Path) -> tuple[bytes, int, list[str]]:
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    return path.read_bytes(), path.stat().st_mtime_ns, siblings


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(BAD_ROWS))
async def test_reading_an_unreadable_row_changes_nothing_and_the_rows_before_read(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "lukas.db"
    await make_log_with_a_bad_row(path, BAD_ROWS[case])
    before = file_state(path)
    async with await SqliteEventStore.open(path, FakeClock(), create=False) as sqlite:
        with pytest.raises(Exception):  # noqa: B017, PT011 - which one is the next test's concern
            await sqlite.read_all()
        assert [e.position for e in await sqlite.read_all(until_position=3)] == [1, 2, 3]
        assert [e.event_id for e in await sqlite.read_all(from_position=4)] == ["after"]
        with pytest.raises(Exception):  # noqa: B017, PT011
            await sqlite.read_stream("s")
    assert file_state(path) == before


@pytest.mark.anyio
@pytest.mark.parametrize(
    "case",
    list(BAD_ROWS),
)
async def test_an_unreadable_row_is_a_clear_error_naming_its_position(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "lukas.db"
    await make_log_with_a_bad_row(path, BAD_ROWS[case])
    async with await SqliteEventStore.open(path, FakeClock(), create=False) as sqlite:
        with pytest.raises(UnknownEventTypeError, match=r"^event at position 4: "):
            await sqlite.read_all()
        with pytest.raises(UnknownEventTypeError, match=r"^event at position 4: "):
            await sqlite.read_stream("s")


# --- Bugs this suite found, now fixed: their reproducers stay --------------------------


def test_fixed_read_event_with_a_list_as_type() -> None:
    assert isinstance(read_event({"type": ["message"]}, ME), Ignored)


def test_fixed_a_link_url_carrying_slack_markup_pings_nobody() -> None:
    # The model writes a Markdown link whose URL carries Slack markup: @channel got pinged.
    assert "<!channel>" not in without_mentions("[docs](https://x.test/<!channel>)")


def test_fixed_decode_with_json_that_is_not_an_object() -> None:
    with pytest.raises(CorruptEventError):
        CODEC.decode("MessageReceived", 1, "null")
    with pytest.raises(CorruptEventError):
        CODEC.decode_metadata("[]")


def test_fixed_decode_with_deeply_nested_json() -> None:
    with pytest.raises(CorruptEventError):
        CODEC.decode("MessageReceived", 1, "[" * 100_000 + "]" * 100_000)


def test_this_files_wiring_answers_as_the_worlds_does() -> None:
    """`handler_over` must behave as make_world's handler does, or its results mean little."""

    async def both() -> tuple[list[str], list[str]]:
        world = make_world()
        await world.handler.handle(world.message("hi", "console:hostile"))
        own = InMemoryEventStore(FakeClock())
        await handler_over(own).handle(incoming("hi"))
        return (
            [e.event.TYPE for e in await world.store.read_all()],
            [e.event.TYPE for e in await own.read_all()],
        )

    world_types, own_types = anyio.run(both)
    assert world_types == own_types == ["MessageReceived", "ReplyGenerated", "ReplyDelivered"]
