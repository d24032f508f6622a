"""The home page's live rows: server-sent events from the store's subscription, one per
event appended after the position the page was drawn at.

Hand-rolled (ADR 23): the format is a few lines. It is an ASGI response of its own rather
than a generator handed to StreamingResponse, so that the subscription runs in a task the
response owns and ends with it; a comment line every few seconds keeps proxies from closing
an idle stream and finds out that a reader has gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import anyio
from anyio import CancelScope
from anyio.abc import ObjectSendStream
from starlette.types import Receive, Scope, Send

from lukas.application.ports.event_store import EventStore, RecordedEvent

KEEP_ALIVE_SECONDS = 15.0


def sse_message(event: str, data: str, event_id: int) -> str:
    """One server-sent event; each line of `data` on a `data:` line of its own."""
    lines = "".join(f"data: {line}\n" for line in data.replace("\r", "").split("\n"))
    return f"id: {event_id}\nevent: {event}\n{lines}\n"


class LiveRows:
    """Never ends by itself: the reader's going away ends it."""

    def __init__(
        self,
        store: EventStore,
        after: int,
        render: Callable[[RecordedEvent], str],
        keep_alive: float = KEEP_ALIVE_SECONDS,
    ) -> None:
        self._store = store
        self._after = after
        self._render = render
        self._keep_alive = keep_alive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        rows_in, rows = anyio.create_memory_object_stream[RecordedEvent](100)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._follow, rows_in)
            tasks.start_soon(_until_gone, receive, tasks.cancel_scope)
            try:
                await _write(send, ": connected\n\n")
                async with rows:
                    while True:
                        next_one: RecordedEvent | None = None
                        with anyio.move_on_after(self._keep_alive):
                            next_one = await rows.receive()
                        if next_one is None:
                            await _write(send, f": {dt.datetime.now(dt.UTC):%H:%M:%S}\n\n")
                        else:
                            text = self._render(next_one)
                            await _write(send, sse_message("row", text, next_one.position))
            except OSError:
                pass  # the reader went away while being written to (ASGI 2.4)
            finally:
                tasks.cancel_scope.cancel()

    async def _follow(self, rows_in: ObjectSendStream[RecordedEvent]) -> None:
        async with rows_in:
            async for recorded in self._store.subscribe(self._after):
                await rows_in.send(recorded)


async def _write(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


async def _until_gone(receive: Receive, scope: CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
