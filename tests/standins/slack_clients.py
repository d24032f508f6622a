"""slack-sdk's real asyncio clients pointed at a Slack stand-in, for the stand-in's own tests.

Clients are built inside each test's running loop and closed there, so nothing they own is
left for the garbage collector to close after the loop is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from standins.slack_server import SlackStandIn

BOT_TOKEN = "xoxb-test-standin"
APP_TOKEN = "xapp-test-standin"


def web_client(standin: SlackStandIn, **kwargs: Any) -> AsyncWebClient:
    # No session passed: slack-sdk opens and closes one per call, so there is none to leak.
    return AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url, **kwargs)


@asynccontextmanager
async def socket_client(
    standin: SlackStandIn, ping_interval: float = 0.5
) -> AsyncIterator[tuple[SocketModeClient, asyncio.Queue[SocketModeRequest]]]:
    """A connected SocketModeClient that acknowledges every request, and the requests."""
    client = SocketModeClient(
        app_token=APP_TOKEN, web_client=web_client(standin), ping_interval=ping_interval
    )
    received: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

    async def acknowledge(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        await received.put(request)

    client.socket_mode_request_listeners.append(acknowledge)
    try:
        await client.connect()  # type: ignore[no-untyped-call]
        yield client, received
    finally:
        await client.close()  # type: ignore[no-untyped-call]


async def next_request(received: asyncio.Queue[SocketModeRequest]) -> SocketModeRequest:
    return await asyncio.wait_for(received.get(), timeout=5)
