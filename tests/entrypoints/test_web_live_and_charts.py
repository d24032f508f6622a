"""The live rows (server-sent events from a real store's subscription) and the SVG charts."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from starlette.types import Message

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import EventMetadata, NewEvent, RecordedEvent
from lukas.domain.events import ProactivePaused, ProactiveResumed
from lukas.entrypoints.web.charts import Series, bar_chart
from lukas.entrypoints.web.live import LiveRows, sse_message

pytestmark = pytest.mark.anyio


def test_an_sse_message_puts_each_line_of_its_data_on_a_data_line() -> None:
    assert sse_message("row", "<tr>\r\n<td>x</td>\n</tr>", 7) == (
        "id: 7\nevent: row\ndata: <tr>\ndata: <td>x</td>\ndata: </tr>\n\n"
    )


async def test_live_rows_bring_events_appended_after_the_position_and_keep_alive(
    tmp_path: Path,
) -> None:
    def render(recorded: RecordedEvent) -> str:
        return f"{recorded.position} {recorded.event.TYPE}"

    written_in, written = anyio.create_memory_object_stream[Message](100)
    gone = anyio.Event()

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def body() -> str:
        with anyio.fail_after(5):
            message = await written.receive()
        return bytes(message["body"]).decode()

    async with await SqliteEventStore.open(tmp_path / "lukas.db", SystemClock()) as store:
        await _append(store, "before", ProactivePaused(until=None, by="cli:ada"))
        live = LiveRows(store, 1, render, keep_alive=0.05)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(live, {"type": "http"}, receive, written_in.send)
            start = await written.receive()
            assert (start["status"], dict(start["headers"])[b"content-type"]) == (
                200,
                b"text/event-stream; charset=utf-8",
            )
            assert await body() == ": connected\n\n"
            assert re.fullmatch(r": \d\d:\d\d:\d\d\n\n", await body())  # quiet: alive
            await _append(store, "after", ProactiveResumed(by="web:admin"))
            message = await body()
            while message.startswith(":"):
                message = await body()
            assert message == "id: 2\nevent: row\ndata: 2 ProactiveResumed\n\n"
            gone.set()  # the reader leaves: the response ends, and its subscription with it


async def _append(store: SqliteEventStore, event_id: str, event: object) -> None:
    new = NewEvent(event_id, event, EventMetadata(event_id))  # type: ignore[arg-type]
    await store.append("proactive", [new], None)


def test_a_chart_escapes_its_labels_and_scales_bars_to_the_largest() -> None:
    svg = bar_chart(
        ["12-01", "<b>12-02</b>"],
        [Series("openai & co", [10, 5]), Series("fallbacks", [0, 2])],
        title="Replies <per> day",
    )
    assert svg.startswith("<figure><figcaption>Replies &lt;per&gt; day</figcaption><svg")
    assert svg.endswith("</svg></figure>")
    assert "<b>" not in svg
    assert "&lt;b&gt;12-02&lt;/b&gt;" in svg
    assert "openai &amp; co" in svg
    assert "Replies &lt;per&gt; day" in svg
    heights = [float(h) for h in re.findall(r'height="([^"]+)" fill="[^"]+"><title>', svg)]
    assert heights[0] == max(heights)  # 10, the largest, fills the plot
    assert heights[2] == pytest.approx(heights[0] / 2)  # 5
    assert heights[1] == 0.0


def test_a_chart_with_nothing_to_show_says_so() -> None:
    assert bar_chart([], [], title="Check-ins per member") == (
        '<p class="empty">Check-ins per member: nothing yet.</p>'
    )
