"""Slack's Socket Mode through slack-sdk's asyncio client: envelopes in, acknowledged at once.

Slack redelivers an envelope that is not acknowledged within 3 seconds, so each one is
acknowledged before any work, once it is safely queued for the bot. slack-sdk reconnects by
itself after a `disconnect` message or a dropped socket.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Enough for a burst; beyond it envelopes go unacknowledged and Slack sends them again later.
_QUEUE = 1000


@attrs.frozen
class Envelope:
    envelope_id: str
    type: str
    payload: Any
    retry_attempt: int


@asynccontextmanager
async def socket_mode_envelopes(
    app_token: str, web_client: AsyncWebClient, *, ping_interval: float = 10.0
) -> AsyncIterator[MemoryObjectReceiveStream[Envelope]]:
    """Connects, and yields the envelopes in the order they arrive until the block ends."""
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
            return
        except anyio.ClosedResourceError:
            return  # shutting down: unacknowledged, so Slack sends it again to the next run
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        yield receive
    finally:
        send.close()
        with anyio.CancelScope(shield=True):
            await client.close()  # type: ignore[no-untyped-call]
