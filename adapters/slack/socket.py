"""Slack's Socket Mode through slack-sdk's asyncio client: each envelope handed over, in
the order it arrived, and acknowledged only once it was taken.

Slack redelivers an envelope that is not acknowledged within 3 seconds (three times, over
a few minutes), and never one that was. So the acknowledgement waits for `accept`, which
records the envelope durably; if that fails, the envelope is left for Slack to send again.
slack-sdk reconnects by itself after a `disconnect` message or a dropped socket.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Envelopes waiting to be taken; beyond this, they go unacknowledged and Slack resends them.
_QUEUE = 1000


@attrs.frozen
class Envelope:
    envelope_id: str
    type: str
    payload: Any
    retry_attempt: int


# Takes an envelope (records it); True to acknowledge it, False to leave it for Slack to
# send again. An exception counts as False.
Accept = Callable[[Envelope], Awaitable[bool]]


@asynccontextmanager
async def socket_mode_connection(
    app_token: str, web_client: AsyncWebClient, accept: Accept, *, ping_interval: float = 10.0
) -> AsyncIterator[None]:
    """Connected while the block runs; every envelope goes through `accept`, one at a time
    in arrival order, then is acknowledged. Leaving the block stops taking envelopes."""
    send, receive = anyio.create_memory_object_stream[Envelope](_QUEUE)
    # Built here, inside the running loop: slack-sdk's aiohttp client binds to it.
    client = SocketModeClient(
        app_token=app_token, web_client=web_client, ping_interval=ping_interval
    )

    async def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        envelope = Envelope(
            envelope_id=request.envelope_id,
            type=request.type,
            payload=request.payload,
            retry_attempt=int(request.retry_attempt or 0),
        )
        try:
            # Queued before the first await, so envelopes keep their order of arrival.
            send.send_nowait(envelope)
        except anyio.WouldBlock:
            log.warning(
                "too many events waiting; leaving %s for Slack to resend", request.envelope_id
            )
        except anyio.ClosedResourceError:
            pass  # stopping: unacknowledged, so Slack sends it again to the next run

    async def take_in_order() -> None:
        async for envelope in receive:
            try:
                taken = await accept(envelope)
            except Exception:
                log.exception(
                    "could not record envelope %s; not acknowledged, so Slack sends it again",
                    envelope.envelope_id,
                )
                continue
            if not taken:
                log.warning(
                    "envelope %s left unacknowledged: Slack sends it again", envelope.envelope_id
                )
                continue
            try:
                await client.send_socket_mode_response(
                    SocketModeResponse(envelope_id=envelope.envelope_id)
                )
            except Exception:
                # Taken, so recorded: a redelivery is recognised and absorbed.
                log.warning("could not acknowledge %s", envelope.envelope_id, exc_info=True)

    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(take_in_order)
        await client.connect()  # type: ignore[no-untyped-call]
        try:
            yield
        finally:
            send.close()
            with anyio.CancelScope(shield=True):
                await client.close()  # type: ignore[no-untyped-call]
            # An envelope taken but not yet acknowledged is sent again and found recorded.
            tasks.cancel_scope.cancel()
