"""The home page's live rows: server-sent events from the store's subscription, one per
event appended after the position the page was drawn at. Hand-rolled on Starlette's
StreamingResponse (ADR 23): the format is a few lines, and a comment line every few
seconds keeps proxies from closing an idle stream and finds a reader that has gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

import anyio
from anyio.abc import ObjectSendStream

from lukas.application.ports.event_store import EventStore, RecordedEvent

KEEP_ALIVE_SECONDS = 15.0


def sse_message(event: str, data: str, event_id: int) -> str:
    """One server-sent event; each line of `data` on a `data:` line of its own."""
    lines = "".join(f"data: {line}\n" for line in data.replace("\r", "").split("\n"))
    return f"id: {event_id}\nevent: {event}\n{lines}\n"


async def live_rows(
    store: EventStore,
    after: int,
    render: Callable[[RecordedEvent], str],
    keep_alive: float = KEEP_ALIVE_SECONDS,
) -> AsyncIterator[str]:
    """Never ends by itself: the response ends it when the reader goes."""
    send, receive = anyio.create_memory_object_stream[RecordedEvent](100)

    async def follow(into: ObjectSendStream[RecordedEvent]) -> None:
        async with into:
            async for recorded in store.subscribe(after):
                await into.send(recorded)

    async with anyio.create_task_group() as tasks, receive:
        tasks.start_soon(follow, send)
        yield ": connected\n\n"
        try:
            while True:
                # Nothing is yielded inside the time-out's scope: a reader that is slow to
                # take a row must not be mistaken for a quiet log.
                next_one: RecordedEvent | None = None
                with anyio.move_on_after(keep_alive):
                    next_one = await receive.receive()
                if next_one is None:
                    yield f": {dt.datetime.now(dt.UTC):%H:%M:%S}\n\n"
                else:
                    yield sse_message("row", render(next_one), next_one.position)
        finally:
            tasks.cancel_scope.cancel()
