"""The Socket Mode half of the Slack stand-in, and builders for the events Slack delivers.

Shapes follow what Slack sends over a Socket Mode link: a `hello` on connect, `events_api`
envelopes carrying an `event_callback` payload, and `disconnect` when Slack wants the app to
move to a fresh link. Everything here runs on the stand-in's own event loop; `SlackStandIn`
wraps it with thread-safe methods for tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from typing import Any

import attrs
from aiohttp import WSMsgType, web

TEAM_ID = "T0TEAM"
APP_ID = "A0LUKAS"
BOT_ID = "B0LUKAS"
BOT_USER_ID = "U0LUKAS"
VERIFICATION_TOKEN = "standin-verification-token"

_EPOCH = 1_700_000_000
_clock_lock = threading.Lock()
_clock = 0


def next_ts() -> str:
    """A Slack timestamp later than every other one this process has handed out.

    Events and the bot's own posts share this one clock, so a reply always sorts after the
    message it answers, as it would in a real workspace. All values have the same length,
    so they sort the same as strings and as numbers.
    """
    global _clock  # noqa: PLW0603 - one clock for the whole process is the point
    with _clock_lock:
        _clock += 1
        tick = _clock
    return f"{_EPOCH + tick}.{tick % 1_000_000:06d}"


def _rich_text(text: str, ts: str) -> list[dict[str, Any]]:
    # What Slack's clients attach to a typed message; bots that read blocks see the same text.
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": f"b{ts[-6:]}", "elements": [section]}]


def _message(
    type_: str,
    text: str,
    *,
    user: str,
    channel: str,
    ts: str | None,
    thread_ts: str | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "user": user,
        "type": type_,
        "ts": ts,
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{ts}")),
        "text": text,
        "team": TEAM_ID,
        "blocks": _rich_text(text, ts),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    # A None in extra removes the key, so a test can send, say, a message without blocks.
    for key, value in extra.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def dm_message(
    text: str,
    user: str = "U0ADA",
    channel: str = "D0ADA",
    ts: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event in a direct message with the bot (`channel_type` "im")."""
    event = _message(
        "message", text, user=user, channel=channel, ts=ts, thread_ts=thread_ts, extra=extra
    )
    return {**event, "channel_type": "im"} if "channel_type" not in extra else event


def channel_message(
    text: str,
    channel: str = "C0GEN",
    user: str = "U0ADA",
    ts: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event in a public channel (`channel_type` "channel")."""
    event = _message(
        "message", text, user=user, channel=channel, ts=ts, thread_ts=thread_ts, extra=extra
    )
    return {**event, "channel_type": "channel"} if "channel_type" not in extra else event


def app_mention(
    text: str,
    channel: str = "C0GEN",
    user: str = "U0ADA",
    ts: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An `app_mention` event. Slack sends no `channel_type` with these, and the text is as
    typed, so include the mention yourself, e.g. "<@U0LUKAS> hello"."""
    return _message(
        "app_mention", text, user=user, channel=channel, ts=ts, thread_ts=thread_ts, extra=extra
    )


def _event_context(event: dict[str, Any]) -> str:
    # Slack's opaque context is "4-" and base64 of a small JSON; bots should not parse it.
    context = {"et": event.get("type"), "tid": TEAM_ID, "aid": APP_ID, "cid": event.get("channel")}
    raw = json.dumps(context, separators=(",", ":")).encode()
    return "4-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def events_api_envelope(
    event: dict[str, Any],
    *,
    envelope_id: str,
    event_id: str,
    retry_attempt: int = 0,
    retry_reason: str = "",
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    event_ts = event.get("event_ts") or event.get("ts")
    event_time = int(float(event_ts)) if event_ts else int(time.time())
    authorization = {
        "enterprise_id": None,
        "team_id": TEAM_ID,
        "user_id": bot_user_id,
        "is_bot": True,
        "is_enterprise_install": False,
    }
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": retry_reason,
        "payload": {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": event_time,
            "authorizations": [authorization],
            "is_ext_shared_channel": False,
            "event_context": _event_context(event),
        },
    }


def hello_message(num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-standin",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }


def disconnect_message(reason: str) -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}}


@attrs.define(eq=False)
class _Link:
    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    # A retired link got a `disconnect`: it still records what the client sends, but new
    # envelopes wait for the replacement, so none is lost while the client switches over.
    retired: bool = False


class SocketModeLinks:
    """The WebSocket side. Coroutines run on the stand-in's loop; the recorded traffic is
    guarded by a thread lock, since tests read it from their own threads."""

    def __init__(self, bot_user_id: str) -> None:
        self.bot_user_id = bot_user_id
        self.lock = threading.Lock()
        self._tickets = 0
        self._issued: set[str] = set()
        # Loop-only state: touched by coroutines on the stand-in's loop, never by tests.
        self._open: list[_Link] = []
        self._pending: list[str] = []
        # Spreading (set by a test): envelopes go round the live links, as Slack spreads an
        # app's events over its connections, and those a link took but had not acknowledged
        # when it closed are sent again on another (Slack's redelivery).
        self.spread = False
        self._turn = 0
        self._unacked: dict[str, tuple[_Link, str]] = {}
        # Guarded by self.lock.
        self.connections = 0
        self.messages: list[str] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.envelopes: list[dict[str, Any]] = []

    def new_url(self, root: str) -> str:
        with self.lock:
            self._tickets += 1
            ticket = f"standin-{self._tickets}"
            self._issued.add(ticket)
        return f"{root.replace('http://', 'ws://', 1)}/link/?ticket={ticket}"

    def clear(self) -> None:
        self.spread = False
        self._unacked.clear()
        with self.lock:
            self.connections = 0
            self.messages.clear()
            self.acks.clear()
            self.envelopes.clear()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        with self.lock:
            known = request.query.get("ticket") in self._issued
        if not known:
            # Slack refuses the upgrade for a URL it did not issue.
            return web.Response(status=401, text="invalid ticket")
        # autoping (the default) answers each ping with a pong carrying the same bytes, which
        # is how slack-sdk's monitor (autoping=False on its side) knows the link is alive.
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        link = _Link(ws, request.transport)
        try:
            await ws.send_str(json.dumps(hello_message(len(self._open) + 1)))
            # Envelopes pushed while no client was connected go out first, in order. The link
            # joins the list only once nothing is pending, so later pushes cannot overtake.
            while self._pending:
                await ws.send_str(self._pending.pop(0))
            self._open.append(link)
            with self.lock:
                self.connections += 1
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._record(message.data)
        except ConnectionError:
            pass  # The client went away mid-send; it reconnects through a new ticket.
        finally:
            if link in self._open:
                self._open.remove(link)
            await self._redeliver_from(link)
        return ws

    async def _redeliver_from(self, gone: _Link) -> None:
        taken = [(eid, text) for eid, (link, text) in self._unacked.items() if link is gone]
        for envelope_id, text in taken:
            del self._unacked[envelope_id]
            await self.send(text)

    def _record(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            message = None
        with self.lock:
            self.messages.append(text)
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                self.acks[message["envelope_id"]] = message
                self._unacked.pop(message["envelope_id"], None)

    def _current(self) -> _Link | None:
        live = [link for link in self._open if not link.retired and not link.ws.closed]
        if not live:
            return None
        if not self.spread:
            return live[-1]
        self._turn += 1
        return live[self._turn % len(live)]

    async def send(self, text: str) -> None:
        """Sends on the newest live link, or holds the text until a client connects."""
        link = self._current()
        if link is None:
            self._pending.append(text)
            return
        try:
            if self.spread:
                envelope_id = json.loads(text).get("envelope_id")
                if isinstance(envelope_id, str):
                    self._unacked[envelope_id] = (link, text)
            await link.ws.send_str(text)
        except ConnectionError:
            link.retired = True
            self._pending.append(text)

    async def send_disconnect(self, reason: str) -> None:
        link = await self._wait_for_link()
        link.retired = True
        await link.ws.send_str(json.dumps(disconnect_message(reason)))

    async def drop(self) -> None:
        link = await self._wait_for_link()
        self._abort(link)

    async def drop_all(self) -> None:
        for link in list(self._open):
            self._abort(link)
        self._pending.clear()

    def _abort(self, link: _Link) -> None:
        link.retired = True
        # Closing the TCP transport sends no close frame: the client sees the link just end.
        if link.transport is not None:
            link.transport.close()

    async def _wait_for_link(self) -> _Link:
        # Polls on this loop only: a client whose handshake finished needs nothing more from
        # its own loop to be registered here, so a test blocking its loop meanwhile is fine.
        # The caller bounds the wait.
        while (link := self._current()) is None:  # noqa: ASYNC110 - links come and go in handlers
            await asyncio.sleep(0.01)
        return link
