"""`lukas replay` as text: streams named once, lines fitted to a terminal, colour on one only."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import TextIO
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DomainEvent, MessageReceived, ReplyFailed
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route
from lukas.entrypoints.event_summaries import summary
from lukas.entrypoints.inspection import replay
from lukas.entrypoints.timeline import ELLIPSIS, Display, columns, cut

pytestmark = pytest.mark.anyio

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG = "honey " * 40


def said(text: str, conversation: str) -> MessageReceived:
    return MessageReceived(
        conversation=ConversationKey(conversation),
        author_id="U1",
        author_name="Ada",
        text=text,
        platform_message_id=f"m-{conversation}-{len(text)}",
        token_count=len(text.split()),
        route=Route.addressed(),
    )


async def store_with(*events: DomainEvent) -> InMemoryEventStore:
    store = InMemoryEventStore(FakeClock())
    for number, event in enumerate(events, 1):
        stream = (
            f"conversation:{event.conversation}"
            if isinstance(event, MessageReceived)
            else "conversation:console:a"
        )
        new = NewEvent(f"e{number}", event, EventMetadata(correlation_id=f"e{number}"))
        await store.append(stream, [new], None)
    return store


async def timeline(store: InMemoryEventStore, display: Display) -> list[str]:
    out = io.StringIO()
    await replay(store, out, display=display)
    return out.getvalue().splitlines()


async def test_each_stream_is_named_once_where_it_starts_or_comes_back() -> None:
    store = await store_with(
        said("one", "console:a"),
        said("two", "console:a"),
        said("three", "console:b"),
        said("four", "console:a"),
    )
    lines = await timeline(store, Display())
    headings = [line for line in lines if not line.startswith(" ")]
    assert headings == [
        "conversation:console:a",
        "conversation:console:b",
        "conversation:console:a",
    ]
    a, b = "conversation:console:a", "conversation:console:b"
    assert [line.split()[0] for line in lines] == [a, "1", "2", b, "3", a, "4"]
    assert all("conversation:" not in line for line in lines if line.startswith(" "))


async def test_times_are_shown_in_the_given_zone() -> None:
    store = await store_with(said("hi", "console:a"))
    recorded_at = (await store.read_all())[0].recorded_at
    shown = set()
    for zone in (ZoneInfo("UTC"), ZoneInfo("Pacific/Auckland")):
        [_, line] = await timeline(store, Display(zone=zone))
        local = f"{recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
        assert f"  {local}  MessageReceived  " in line
        shown.add(local)
    assert len(shown) == 2  # the zones differ, so the lines do


async def test_piped_lines_are_never_cut() -> None:
    event = said(LONG, "console:a")
    [_, line] = await timeline(await store_with(event), Display())
    assert line.endswith(f"MessageReceived  {summary(event)}")
    assert columns(line) > 150


@pytest.mark.parametrize("width", [120, 90, 60])
async def test_on_a_terminal_each_line_fits_and_the_columns_before_the_summary_stay_whole(
    width: int,
) -> None:
    store = await store_with(
        said(LONG, "console:a"),
        ReplyFailed(
            reply_to="e1",
            person_id="U1",
            kind=FailureKind.PROVIDER,
            detail="500",
            attempts=3,
            fallback_text=LONG,
        ),
    )
    whole = await timeline(store, Display())
    fitted = await timeline(store, Display(width=width))
    assert len(fitted) == len(whole)
    for cut_line, whole_line in zip(fitted[1:], whole[1:], strict=True):
        assert columns(cut_line) <= width
        prefix = "  ".join(whole_line.split("  ", 5)[:5])  # indent, position, time, type
        assert cut_line.startswith(prefix)
        assert ELLIPSIS in cut_line


async def test_a_terminal_too_narrow_for_the_columns_keeps_them_and_marks_the_rest() -> None:
    store = await store_with(said(LONG, "console:a"))
    [_, whole] = await timeline(store, Display())
    [_, fitted] = await timeline(store, Display(width=40))
    prefix = whole[: whole.index("MessageReceived  ") + len("MessageReceived  ")]
    assert fitted == prefix + ELLIPSIS


async def test_quotes_are_shortened_before_the_fields_after_them() -> None:
    store = await store_with(said(LONG, "console:a"))
    [_, whole] = await timeline(store, Display())
    [_, fitted] = await timeline(store, Display(width=140))
    tail = whole[whole.index(" [") :]
    assert fitted.endswith(tail)  # tokens, platform id and route survive the cut
    assert columns(fitted) <= 140


async def test_colour_marks_types_and_failures_and_leaves_the_text_as_it_was() -> None:
    store = await store_with(
        said("hi", "console:a"),
        ReplyFailed(
            reply_to="e1",
            person_id="U1",
            kind=FailureKind.PROVIDER,
            detail="500",
            attempts=3,
            fallback_text="x",
        ),
    )
    plain = await timeline(store, Display())
    coloured = await timeline(store, Display(colour=True))
    assert [ANSI.sub("", line) for line in coloured] == plain
    assert "\x1b[31mReplyFailed\x1b[0m" in coloured[2]
    assert "\x1b[31m" not in coloured[1]
    assert not any("\x1b" in line for line in plain)


async def test_colour_does_not_count_towards_the_width() -> None:
    store = await store_with(said(LONG, "console:a"))
    [_, plain] = await timeline(store, Display(width=100))
    [_, coloured] = await timeline(store, Display(width=100, colour=True))
    assert ANSI.sub("", coloured) == plain


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    """A real pseudo-terminal's far end, as stdout is when a person runs `lukas replay`."""
    leader, follower = os.openpty()
    with open(follower, "w", encoding="utf-8") as out:
        yield out
    os.close(leader)


def test_a_terminal_gets_its_width_and_colour(
    terminal: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "77")  # what shutil.get_terminal_size reads first
    zone = ZoneInfo("Europe/Berlin")
    assert Display.for_output(terminal, {}, zone) == Display(zone=zone, width=77, colour=True)
    # https://no-color.org: present and not empty turns colour off
    assert not Display.for_output(terminal, {"NO_COLOR": "1"}, zone).colour
    assert Display.for_output(terminal, {"NO_COLOR": ""}, zone).colour


def test_a_pipe_gets_whole_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "77")
    read, write = os.pipe()
    os.close(read)
    with open(write, "w", encoding="utf-8") as piped:
        assert Display.for_output(piped, {}, ZoneInfo("UTC")) == Display(zone=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("text", "room"), [("abcdef", 4), ("日本語のテキスト", 5), ("e\u0301te\u0301", 2), ("ab", 1)]
)
def test_cut_keeps_within_the_columns_and_marks_the_cut(text: str, room: int) -> None:
    kept = cut(text, room)
    assert columns(kept) <= room
    assert kept.endswith(ELLIPSIS)
    assert text.startswith(kept[:-1])


def test_cut_leaves_what_fits_alone() -> None:
    assert cut("日本", 4) == "日本"
