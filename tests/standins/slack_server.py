"""A scripted stand-in for Slack's Web API and Socket Mode, on 127.0.0.1.

slack-sdk's real clients reach it over HTTP and WebSocket: `AsyncWebClient(base_url=api_url)`
and the aiohttp `SocketModeClient`, which gets its link from `apps.connections.open`. Like
the OpenAI stand-in it runs its own event loop in a daemon thread, so a test's loop can
block without stalling the server. Waits come in two forms: `wait_for_*` blocks the calling
thread (for synchronous tests, or a bot in another process), and `wait_for_*_async` waits in a
worker thread, so the slack-sdk clients sharing the test's loop keep running meanwhile.

File uploads go Slack's three-step way, the one `files_upload_v2` takes:
`files.getUploadURLExternal` hands out a file id and an upload URL on this server, the bytes
are POSTed there (slack-sdk sends them raw as application/octet-stream, with no token; a
multipart form is accepted too), and `files.completeUploadExternal` shares the file into a
channel. `uploads()` shows what arrived. The POST to the upload URL is recorded among
`calls()` as the pseudo-method UPLOAD, and can be scripted like any method.

`conversations.list` pages through a channel table set with `add_channel`, by Slack's cursor
scheme: each page holds at most `limit` channels (100 unless asked), and
`response_metadata.next_cursor` is an opaque cursor for the next page, or "" after the last.
The table starts, and starts again on reset(), with one channel: C0GEN, "general".

`chat.postMessage` answers from the same table, as Slack answers a bot that has chat:write but
not chat:write.public: in an archived channel `is_archived`, in a channel the bot is not a
member of `not_in_channel`, and in a channel taken out with `remove_channel` (deleted, or
never visible to the bot) `channel_not_found`. Nothing is posted then, though the call is
recorded among `calls()` like any other. Channel ids the table never held are accepted as
before: tests push events from channels such as "C1" and expect Lukas's replies to land there,
so only a removed id is unknown. DMs ("D...") and posts to a person's id ("U...") are
unaffected.

A post's text comes as `text` (mrkdwn) or as `markdown_text` (standard Markdown, which Slack
renders itself), never both: like Slack, the stand-in refuses `markdown_text` alongside `text`
or `blocks` with markdown_text_conflict, and `markdown_text` over 12,000 characters with
msg_too_long. Either way the call is recorded with its arguments as sent.

Streamed replies go Slack's way (see slack_streams): `chat.startStream` opens a bot message
in a thread, `chat.appendStream` adds text, `chat.stopStream` ends it, optionally with
blocks; `streams()` shows each stream, and the message reads back through
conversations.history and .replies with the text so far. `expire_stream` takes one out of
streaming state, as Slack does to a stream left open too long. The assistant.threads methods
are checked as documented (see slack_assistant) and `assistant_thread` shows their effect.
Every call is recorded with the time.monotonic() it arrived (ApiCall.at).

`users.list` pages the same way through a people table set with `add_user` and `remove_user`.
Like a real workspace's, the table starts (and starts again on reset()) with Slackbot and the
bot user itself, and a deactivated person stays listed, with `deleted` true. `users.info`
answers from the same table.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
import attrs
from aiohttp import BodyPartReader, web

from standins.slack_assistant import AssistantThread, AssistantThreads
from standins.slack_interactions import (
    assistant_thread_context_changed,
    assistant_thread_started,
    feedback_click,
    interactive_envelope,
)
from standins.slack_socket import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    SocketModeLinks,
    app_mention,
    channel_message,
    dm_message,
    events_api_envelope,
    next_ts,
)
from standins.slack_streams import (
    MARKDOWN_TEXT_LIMIT,
    StreamedMessage,
    StreamTable,
    content_error,
    invalid_arguments,
    markdown_blocks_text,
    missing,
    recipient_error,
    streamed_text,
)
from standins.threaded_server import ThreadedServer

__all__ = [
    "RESPONSE_URL",
    "SLACKBOT_ID",
    "UPLOAD",
    "Answer",
    "ApiCall",
    "AssistantThread",
    "Proceed",
    "RateLimited",
    "SlackError",
    "SlackStandIn",
    "StreamedMessage",
    "Upload",
    "app_mention",
    "assistant_thread_context_changed",
    "assistant_thread_started",
    "channel_message",
    "dm_channel",
    "dm_message",
    "feedback_click",
    "next_ts",
]

_T = TypeVar("_T")
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# The name calls() and script() use for a POST to an upload URL, which is no Web API method.
UPLOAD = "upload"
# Likewise for a POST to the response_url of an interaction pushed with click_feedback.
RESPONSE_URL = "response_url"
# Slackbot's id is the same in every workspace.
SLACKBOT_ID = "USLACKBOT"
# Where Slack puts a new account until its owner says otherwise.
_SLACK_DEFAULT_TZ = "America/Los_Angeles"


@attrs.frozen
class ApiCall:
    method: str
    token: str | None
    # Form and query values arrive as strings; a JSON body keeps its JSON types.
    args: dict[str, Any]
    at: float = attrs.field(default=0.0, eq=False)  # time.monotonic() when it arrived

    @property
    def markdown_text(self) -> str:
        """The Markdown the call carried: its markdown_text, then the text of its
        markdown_text chunks (how slack-sdk's chat_stream helper sends text), then that of its
        markdown blocks (how a message with buttons carries it); "" if none."""
        return streamed_text(self.args) + markdown_blocks_text(self.args)


@attrs.frozen
class SlackError:
    """An HTTP 200 answer {"ok": false, "error": error, **extra}, as Slack reports most errors."""

    error: str
    extra: dict[str, Any] = attrs.field(factory=dict)
    status: int = 200


@attrs.frozen
class RateLimited:
    """HTTP 429 with Retry-After; slack-sdk's retry handler sleeps that plus up to a second."""

    retry_after: int = 1


@attrs.frozen
class Answer:
    """Any body, sent verbatim with HTTP 200, for answers the defaults do not cover."""

    body: dict[str, Any]


@attrs.frozen
class Proceed:
    """The method's normal answer, for scripting a failure after some calls that succeed."""


Step = SlackError | RateLimited | Answer | Proceed


@attrs.frozen
class Upload:
    """A file as the stand-in holds it, in the order files.getUploadURLExternal handed out ids.

    `data` stays empty until the bytes are POSTed; `channel`, `initial_comment` and `title`
    stay None until files.completeUploadExternal succeeds for the file.
    """

    file_id: str
    filename: str
    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    channel: str | None
    initial_comment: str | None
    title: str | None
    completed: bool
    length: int = 0  # as declared to files.getUploadURLExternal
    uploaded: bool = False  # the bytes arrived at the upload URL
    thread_ts: str | None = None


@attrs.frozen
class _Channel:
    channel_id: str
    name: str
    is_general: bool
    is_member: bool
    is_archived: bool


# Every workspace has one general channel; this is the stand-in's, present after each reset().
_DEFAULT_CHANNELS = (_Channel("C0GEN", "general", True, True, False),)
# Slack's pages: 100 entries unless asked, never more than 1000. (Asked for no limit, Slack's
# users.list tries to send the whole team at once, and may refuse a large one with
# limit_required; the stand-in pages by 100 there too, so a caller that forgets the limit
# still meets paging.)
_DEFAULT_PAGE = 100
_MAX_PAGE = 1000
_CONVERSATION_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})


@attrs.frozen
class _Person:
    user_id: str
    display_name: str
    real_name: str
    name: str
    is_bot: bool
    deleted: bool = False
    timezone: str | None = None


def _default_people(bot_user_id: str) -> dict[str, _Person]:
    # Every workspace lists these two, the bot user only once its app is installed. Slack
    # reports Slackbot with is_bot false: it is part of Slack, older than bot users.
    slackbot = _Person(
        SLACKBOT_ID, "Slackbot", "Slackbot", "slackbot", is_bot=False, timezone=_SLACK_DEFAULT_TZ
    )
    lukas = _Person(
        bot_user_id, "Lukas", "Lukas the Bear", "lukas", is_bot=True, timezone=_SLACK_DEFAULT_TZ
    )
    return {person.user_id: person for person in (slackbot, lukas)}


class SlackStandIn(ThreadedServer):
    _name = "slack-standin"

    def __init__(self, *, bot_user_id: str = BOT_USER_ID) -> None:
        super().__init__()
        self.bot_user_id = bot_user_id
        self._lock = threading.Lock()
        self._calls: list[ApiCall] = []
        self._scripts: dict[str, collections.deque[Step]] = collections.defaultdict(
            collections.deque
        )
        self._people = _default_people(bot_user_id)
        self._channels: dict[str, _Channel] = {c.channel_id: c for c in _DEFAULT_CHANNELS}
        # Ids taken out with remove_channel: chat.postMessage answers channel_not_found there.
        self._removed_channels: set[str] = set()
        self._links = SocketModeLinks(bot_user_id)
        self._event_ids = 0
        # Keyed by file id, in issue order. The counter outlives reset(), so a client left
        # over from an earlier test can never complete a later test's file by accident.
        self._uploads: dict[str, Upload] = {}
        self._file_ids = 0
        # What the bot posted, by channel, oldest first: conversations.history and .replies
        # read it back. People's messages arrive as events and are not kept here.
        self._history: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self._streams = StreamTable()
        self._response_urls = 0  # outlives reset(), like the file ids
        self._assistant = AssistantThreads()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "reactions.add": _ok,
            "reactions.remove": _ok,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": _conversations_open,
            "conversations.list": self._conversations_list,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "assistant.threads.setStatus": self._assistant_method(AssistantThreads.set_status),
            "assistant.threads.setSuggestedPrompts": self._assistant_method(
                AssistantThreads.set_suggested_prompts
            ),
            "assistant.threads.setTitle": self._assistant_method(AssistantThreads.set_title),
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    @property
    def api_url(self) -> str:
        """The base_url for AsyncWebClient; the trailing slash is what slack-sdk expects."""
        return f"{self.root_url}/api/"

    def reset(self) -> None:
        """Forgets calls, scripts, added people (leaving Slackbot and the bot user), added
        and removed channels (leaving C0GEN, "general") and Socket Mode traffic, and drops
        any open link, so no client left over from an earlier test gets the next test's
        envelopes. Call it between tests, not while a client is meant to stay connected."""
        with self._lock:
            self._calls.clear()
            self._scripts.clear()
            self._people = _default_people(self.bot_user_id)
            self._channels = {c.channel_id: c for c in _DEFAULT_CHANNELS}
            self._removed_channels.clear()
            self._uploads.clear()
            self._history.clear()
            self._streams.clear()
            self._assistant.clear()
        if self._loop is not None:
            self._on_loop(self._links.drop_all())
        self._links.clear()

    # ---- Web API: set-up and inspection

    def add_user(
        self,
        user_id: str,
        display_name: str,
        real_name: str | None = None,
        is_bot: bool = False,
        name: str | None = None,
        *,
        deleted: bool = False,
        timezone: str | None = None,
    ) -> None:
        """Adds a person to what users.list and users.info show, after those already there.
        Adding an id again replaces that person in place, so `deleted=True` deactivates
        someone as Slack does: still listed, flagged. `timezone` is an IANA name, or None
        for a profile that names none."""
        handle = name or display_name.lower().replace(" ", ".")
        person = _Person(
            user_id,
            display_name,
            real_name or display_name,
            handle,
            is_bot,
            deleted=deleted,
            timezone=timezone,
        )
        with self._lock:
            self._people[user_id] = person

    def remove_user(self, user_id: str) -> None:
        """Takes a person out of the table entirely (Slackbot and the bot user too), as no
        deactivation does: for a listing that simply stops showing someone. A cursor that
        pointed at them becomes invalid_cursor, as Slack's do when the list moves under them.
        Raises KeyError for an id not in the table."""
        with self._lock:
            del self._people[user_id]

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_general: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
    ) -> None:
        """Adds a public channel to what conversations.list shows, after those already there.
        Adding an id again replaces that channel in place. A workspace has exactly one
        general channel, so a channel added with is_general=True takes the flag from
        whichever channel had it (C0GEN by default). chat.postMessage there is refused with
        not_in_channel unless `is_member`, and with is_archived if `is_archived`."""
        channel = _Channel(channel_id, name, is_general, is_member, is_archived)
        with self._lock:
            if is_general:
                self._channels = {
                    key: attrs.evolve(c, is_general=False) for key, c in self._channels.items()
                }
            self._channels[channel_id] = channel
            self._removed_channels.discard(channel_id)

    def remove_channel(self, channel_id: str) -> None:
        """Takes a channel out of the table, as deleting it does: conversations.list stops
        showing it, a cursor that pointed at it becomes invalid_cursor, and chat.postMessage
        there answers channel_not_found until the id is added again. Raises KeyError for an
        id not in the table."""
        with self._lock:
            del self._channels[channel_id]
            self._removed_channels.add(channel_id)

    def script(self, method: str, *steps: Step) -> None:
        """Queues answers for the next calls of `method`; normal answers resume after them.
        A Proceed() in the queue lets one call through to its normal answer."""
        with self._lock:
            self._scripts[method].extend(steps)

    def fail(self, method: str, *failures: SlackError | RateLimited) -> None:
        self.script(method, *failures)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def posted_messages(self) -> list[ApiCall]:
        return self.calls("chat.postMessage")

    def uploads(self) -> list[Upload]:
        """Every file given an upload URL since start or the last reset(), in that order."""
        with self._lock:
            return list(self._uploads.values())

    def wait_for_calls(self, method: str, count: int, timeout: float = 5.0) -> list[ApiCall]:
        self._wait(lambda: len(self.calls(method)) >= count, timeout, f"{count} {method} calls")
        return self.calls(method)

    async def wait_for_calls_async(
        self,
        method: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps a broken test short
    ) -> list[ApiCall]:
        what = f"{count} {method} calls"
        await _wait_async(lambda: len(self.calls(method)) >= count, timeout, what)
        return self.calls(method)

    def streams(self) -> list[StreamedMessage]:
        """Every stream chat.startStream opened since start or the last reset(), in order."""
        with self._lock:
            return self._streams.snapshots()

    def wait_for_streams(
        self, count: int, timeout: float = 5.0, *, stopped: bool = False
    ) -> list[StreamedMessage]:
        """Blocks until `count` streams were started (with `stopped`, stopped)."""
        self._wait(lambda: self._count_streams(stopped) >= count, timeout, f"{count} streams")
        return self.streams()

    async def wait_for_streams_async(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps a broken test short
        *,
        stopped: bool = False,
    ) -> list[StreamedMessage]:
        await _wait_async(
            lambda: self._count_streams(stopped) >= count, timeout, f"{count} streams"
        )
        return self.streams()

    def expire_stream(self, ts: str) -> None:
        """Takes the stream `ts` out of streaming state, as Slack does to a stream left open
        too long: appending to or stopping it then fails with message_not_in_streaming_state.
        Raises KeyError for a ts no stream has."""
        with self._lock:
            self._streams.expire(ts)

    def assistant_thread(self, channel_id: str, thread_ts: str) -> AssistantThread | None:
        """What the assistant.threads methods set on a thread; None if none was called."""
        with self._lock:
            return self._assistant.get(channel_id, thread_ts)

    def _count_streams(self, stopped: bool) -> int:
        return sum(1 for s in self.streams() if s.stopped or not stopped)

    # ---- Socket Mode

    def push_event(
        self,
        event: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """Sends `event` in an events_api envelope and returns the envelope id. With no client
        connected, the envelope waits and goes out right after the next `hello`. For a
        redelivery as Slack makes it, pass the first push's event_id and a retry_attempt."""
        envelope_id = envelope_id or str(uuid.uuid4())
        if event_id is None:
            with self._lock:
                self._event_ids += 1
                event_id = f"Ev0STANDIN{self._event_ids:04d}"
        envelope = events_api_envelope(
            event,
            envelope_id=envelope_id,
            event_id=event_id,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            bot_user_id=self.bot_user_id,
        )
        with self._links.lock:
            self._links.envelopes.append(envelope)
        self._on_loop(self._links.send(json.dumps(envelope)))
        return envelope_id

    def push_interactive(self, payload: dict[str, Any], *, envelope_id: str | None = None) -> str:
        """Sends an interaction payload (e.g. from feedback_click) in an `interactive`
        envelope and returns the envelope id; it waits for a client like push_event's."""
        envelope = interactive_envelope(payload, envelope_id=envelope_id or str(uuid.uuid4()))
        with self._links.lock:
            self._links.envelopes.append(envelope)
        self._on_loop(self._links.send(json.dumps(envelope)))
        return str(envelope["envelope_id"])

    def click_feedback(
        self,
        channel: str,
        message_ts: str,
        *,
        positive: bool = True,
        user: str = "U0ADA",
        envelope_id: str | None = None,
    ) -> str:
        """`user` clicks the positive (or negative) feedback button on the bot's message
        `message_ts` in `channel`: pushes the block_actions payload Slack sends, built from
        the message as it reads back now (streamed ones get their buttons from chat.stopStream's
        blocks). Returns the envelope id. Raises LookupError if the bot posted no such message,
        ValueError if the message has no feedback_buttons element."""
        with self._lock:
            found = [m for m in self._history.get(channel, []) if m["ts"] == message_ts]
            message = json.loads(json.dumps(found[0])) if found else None
            person = self._people.get(user)
            known = self._channels.get(channel)
            self._response_urls += 1
            number = self._response_urls
        if message is None:
            raise LookupError(f"the bot posted no message {message_ts} in {channel}")
        name = known.name if known else ("directmessage" if channel[:1] == "D" else "privategroup")
        payload = feedback_click(
            message,
            channel=channel,
            channel_name=name,
            positive=positive,
            user=user,
            user_name=person.name if person else user.lower(),
            response_url=f"{self.root_url}/actions/{TEAM_ID}/{number}",
        )
        return self.push_interactive(payload, envelope_id=envelope_id)

    def push_raw(self, text: str) -> None:
        self._on_loop(self._links.send(text))

    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope push_event and push_interactive built, in order."""
        with self._links.lock:
            return list(self._links.envelopes)

    def send_disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Asks the connected client to move to a new link. The old link gets no further
        envelopes; they wait for the client's next connection."""
        self._on_loop(self._links.send_disconnect(reason), timeout, "a connected client")

    def drop_connection(self, timeout: float = 5.0) -> None:
        """Closes the current link's TCP connection without a WebSocket close frame."""
        self._on_loop(self._links.drop(), timeout, "a connected client")

    def client_messages(self) -> list[str]:
        """Every text frame clients sent, as received."""
        with self._links.lock:
            return list(self._links.messages)

    def acks(self) -> list[str]:
        with self._links.lock:
            return list(self._links.acks)

    def spread_over_links(self) -> None:
        """From now on envelopes go round the open links (several processes of one app), and
        what a closed link had not acknowledged is sent again on another. reset() ends it."""
        self._links.spread = True

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Returns the acknowledgement, e.g. {"envelope_id": ...} with an optional payload."""
        self._wait(lambda: envelope_id in self.acks(), timeout, f"ack of {envelope_id}")
        with self._links.lock:
            return self._links.acks[envelope_id]

    async def wait_for_ack_async(
        self,
        envelope_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps a broken test short
    ) -> dict[str, Any]:
        await _wait_async(lambda: envelope_id in self.acks(), timeout, f"ack of {envelope_id}")
        with self._links.lock:
            return self._links.acks[envelope_id]

    @property
    def connections(self) -> int:
        """WebSocket links established (hello sent) since start or the last reset()."""
        with self._links.lock:
            return self._links.connections

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> int:
        self._wait(lambda: self.connections >= count, timeout, f"{count} connections")
        return self.connections

    async def wait_for_connections_async(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps a broken test short
    ) -> int:
        await _wait_async(lambda: self.connections >= count, timeout, f"{count} connections")
        return self.connections

    # ---- plumbing

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        # The server's loop changes the state with no signal to other threads; a 10 ms poll
        # is simple and quick enough for tests.
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(min(0.01, remaining))

    def _on_loop(
        self, coro: Coroutine[Any, Any, _T], timeout: float = 10.0, what: str = "the stand-in"
    ) -> _T:
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("the stand-in is not started")
        # The deadline runs on the stand-in's loop, so a wait there ends cleanly, cancelled.
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), loop)
        try:
            return future.result()
        except TimeoutError:
            raise TimeoutError(f"timed out waiting for {what}") from None

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/actions/{team}/{number}", self._handle_response_url)
        app.router.add_get("/link/", self._links.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            ready.set()
            await self._until_stopped()
            # Open links would hold up the shutdown; their clients simply see them drop.
            await self._links.drop_all()
        finally:
            await runner.cleanup()

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    return web.json_response({"ok": False, "error": "invalid_json"})
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                args.update({key: str(value) for key, value in form.items()})
        authorization = request.headers.get("Authorization", "")
        token: str | None = authorization.removeprefix("Bearer ").strip() or None
        body_token = args.pop("token", None)
        token = token or (str(body_token) if body_token is not None else None)
        with self._lock:
            self._calls.append(ApiCall(method, token, args, time.monotonic()))
            scripted = self._scripts[method]
            step = scripted.popleft() if scripted else None
        # The lock is a thread lock: never held across an await.
        match step:
            case SlackError():
                body = {"ok": False, "error": step.error, **step.extra}
                return web.json_response(body, status=step.status)
            case RateLimited():
                headers = {"Retry-After": str(step.retry_after)}
                body = {"ok": False, "error": "ratelimited"}
                return web.json_response(body, status=429, headers=headers)
            case Answer():
                return web.json_response(step.body)
        if token is None:
            return web.json_response({"ok": False, "error": "not_authed"})
        prefix = "xapp-" if method in _APP_TOKEN_METHODS else "xoxb-"
        if not token.startswith(prefix):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = self._methods.get(method)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
        return web.json_response(answer(args))

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        # Streamed rather than request.read(): that stops at aiohttp's 1 MiB client_max_size,
        # and a drawn picture is often bigger.
        if request.content_type.startswith("multipart/"):
            data = await _first_multipart_file(request)
        else:
            data = await request.content.read()
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip() or None
        args = {"file_id": file_id, "length": len(data), "content_type": request.content_type}
        with self._lock:
            self._calls.append(ApiCall(UPLOAD, token, args))
            scripted = self._scripts[UPLOAD]
            step = scripted.popleft() if scripted else None
            known = self._uploads.get(file_id)
            # Only a default answer stores the bytes; a scripted one stands for a lost upload.
            if (step is None or isinstance(step, Proceed)) and known is not None:
                self._uploads[file_id] = attrs.evolve(known, data=data, uploaded=True)
        match step:
            case SlackError():
                return web.Response(text=step.error, status=step.status)
            case RateLimited():
                headers = {"Retry-After": str(step.retry_after)}
                return web.Response(text="ratelimited", status=429, headers=headers)
            case Answer():
                return web.json_response(step.body)
        if known is None:
            return web.Response(text="file_not_found", status=404)
        # The upload URL is pre-signed, so like Slack's it wants no token. slack-sdk reads
        # this text/plain answer as text and checks only the status.
        return web.Response(text=f"OK - {len(data)}")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        # Slack's response_url takes JSON and, like the upload URL, wants no token.
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.Response(text="invalid_payload", status=400)
        args = {"url": request.path, **(body if isinstance(body, dict) else {})}
        with self._lock:
            self._calls.append(ApiCall(RESPONSE_URL, None, args, time.monotonic()))
            scripted = self._scripts[RESPONSE_URL]
            step = scripted.popleft() if scripted else None
        match step:
            case SlackError():
                return web.json_response({"ok": False, "error": step.error}, status=step.status)
            case RateLimited():
                headers = {"Retry-After": str(step.retry_after)}
                return web.Response(text="ratelimited", status=429, headers=headers)
            case Answer():
                return web.json_response(step.body)
        return web.json_response({"ok": True})

    # ---- default answers

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://example.slack.com/",
            "team": "Lukas Test Team",
            "user": "lukas",
            "team_id": TEAM_ID,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self._links.new_url(self.root_url)}

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            # Slack also turns markdown_text into blocks; the stand-in keeps the text only.
            "text": str(args.get("text", args.get("markdown_text", ""))),
            "team": TEAM_ID,
        }
        for key in ("thread_ts", "blocks", "attachments", "metadata"):
            if args.get(key) is not None:
                message[key] = _json_arg(args[key])
        return message

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        refusal = self._channel_refusal(channel)
        if refusal is not None:
            return {"ok": False, "error": refusal}
        if "markdown_text" in args:
            # Slack's error table: "Markdown text cannot be used in conjunction with blocks or
            # text argument."
            if "text" in args or "blocks" in args:
                return {"ok": False, "error": "markdown_text_conflict"}
            # Slack names no error of its own for markdown_text past its limit; msg_too_long
            # ("Message text is too long") is the one its table has for text too long.
            if len(str(args["markdown_text"])) > MARKDOWN_TEXT_LIMIT:
                return {"ok": False, "error": "msg_too_long"}
        if not any(args.get(key) for key in ("text", "markdown_text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        ts = next_ts()
        posted_in = dm_channel(channel) if channel[0] in "UW" else channel
        message = self._bot_message(args, ts)
        with self._lock:
            self._history[posted_in].append(message)
            if args.get("thread_ts"):
                self._assistant.replied(posted_in, str(args["thread_ts"]))
        return {"ok": True, "channel": posted_in, "ts": ts, "message": message}

    def _start_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        error = missing(args, "channel", "thread_ts")
        if error is not None:
            return error
        channel = str(args["channel"])
        channel = dm_channel(channel) if channel[0] in "UW" else channel
        refusal = self._channel_refusal(channel)
        if refusal is not None:
            return {"ok": False, "error": refusal}
        error = recipient_error(channel, args) or content_error(args)
        if error is not None:
            return error
        ts = next_ts()
        message = self._bot_message({"thread_ts": args["thread_ts"]}, ts)
        with self._lock:
            self._history[channel].append(message)
            self._streams.start(channel, args, message, time.monotonic())
            self._assistant.replied(channel, str(args["thread_ts"]))
        return {"ok": True, "channel": channel, "ts": ts}

    def _append_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        error = missing(args, "channel", "ts") or content_error(args)
        if error is not None:
            return error
        if not streamed_text(args) and not args.get("chunks"):
            return {"ok": False, "error": "no_text"}
        channel, ts = str(args["channel"]), str(args["ts"])
        with self._lock:
            refusal = self._streams.refusal(channel, ts, self._history.get(channel, []))
            if refusal is not None:
                return refusal
            self._streams.append(ts, args, time.monotonic())
        return {"ok": True, "channel": channel, "ts": ts}

    def _stop_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        error = missing(args, "channel", "ts") or content_error(args)
        if error is not None:
            return error
        channel, ts = str(args["channel"]), str(args["ts"])
        with self._lock:
            refusal = self._streams.refusal(channel, ts, self._history.get(channel, []))
            if refusal is not None:
                return refusal
            message = dict(self._streams.stop(ts, args, time.monotonic()))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _assistant_method(
        self, method: Callable[[AssistantThreads, dict[str, Any]], dict[str, Any]]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def answer(args: dict[str, Any]) -> dict[str, Any]:
            channel = str(args.get("channel_id") or "")
            if channel:
                with self._lock:
                    removed = channel in self._removed_channels
                if removed:
                    return {
                        "ok": False,
                        "error": "channel_not_found",
                        "detail": "Invalid channel_id",
                    }
            with self._lock:
                return method(self._assistant, args)

        return answer

    def _read_back(self, args: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> list[Any]:
        """Posted messages that `keep` picks, with metadata only when asked for, as Slack."""
        with_metadata = _truthy(args.get("include_all_metadata"))
        with self._lock:
            kept = [dict(m) for m in self._history.get(str(args.get("channel") or ""), [])]
        picked = [m for m in kept if keep(m)]
        if not with_metadata:
            for message in picked:
                message.pop("metadata", None)
        return picked

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's top-level messages after `oldest`, newest first (one page)."""
        oldest = float(args.get("oldest") or 0)
        messages = self._read_back(
            args,
            lambda m: m.get("thread_ts", m["ts"]) == m["ts"] and float(m["ts"]) > oldest,
        )
        limit = _page_limit(args) or 100
        return {
            "ok": True,
            "messages": list(reversed(messages))[:limit],
            "has_more": len(messages) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """The thread's messages, oldest first (the bot's only: the stand-in keeps no
        people's messages, so the parent is absent unless the bot wrote it)."""
        thread = str(args.get("ts") or "")
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        messages = self._read_back(
            args, lambda m: m["ts"] == thread or m.get("thread_ts") == thread
        )
        return {
            "ok": True,
            "messages": messages,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _channel_refusal(self, channel: str) -> str | None:
        """Slack's error for a post in `channel` by a bot without chat:write.public, or None
        where it may post. Only ids the table holds or held are checked (see the module's
        docstring); Slack reports an archived channel so even to a member."""
        with self._lock:
            if channel in self._removed_channels:
                return "channel_not_found"
            known = self._channels.get(channel)
        if known is None:
            return None
        if known.is_archived:
            return "is_archived"
        return None if known.is_member else "not_in_channel"

    def _update_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        message = self._bot_message(args, ts)
        with self._lock:
            # A message the bot posted (or streamed) reads back edited, as in Slack, so a
            # reply finished with chat.update after its stream lapsed shows its whole text.
            for stored in self._history.get(channel, []):
                if stored["ts"] == ts:
                    if "text" in args or "markdown_text" in args:
                        stored["text"] = message["text"]
                    for key in ("blocks", "attachments", "metadata"):
                        if key in message:
                            stored[key] = message[key]
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        absent = [key for key in ("filename", "length") if not str(args.get(key) or "")]
        if absent:
            return invalid_arguments(f"missing required field: {absent[0]}")
        try:
            length = int(str(args["length"]))
        except ValueError:
            return invalid_arguments("length must be an integer")
        if length < 0:
            return invalid_arguments("length must not be negative")
        with self._lock:
            self._file_ids += 1
            file_id = f"F0UPLOAD{self._file_ids:04d}"
            self._uploads[file_id] = Upload(
                file_id=file_id,
                filename=filename,
                data=b"",
                channel=None,
                initial_comment=None,
                title=None,
                completed=False,
                length=length,
            )
        upload_url = f"{self.root_url}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files"))
        if not isinstance(files, list) or not files:
            return invalid_arguments("missing required field: files")
        if not all(isinstance(entry, dict) and entry.get("id") for entry in files):
            return invalid_arguments("every file needs an id")
        channels = [str(args["channel_id"])] if args.get("channel_id") else []
        channels += [c.strip() for c in str(args.get("channels") or "").split(",") if c.strip()]
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        comment = str(args["initial_comment"]) if args.get("initial_comment") else None
        with self._lock:
            # All or nothing, as with one API call: check every id before changing any.
            for entry in files:
                known = self._uploads.get(str(entry["id"]))
                if known is None or not known.uploaded:
                    return {"ok": False, "error": "file_not_found"}
            done = []
            for entry in files:
                known = self._uploads[str(entry["id"])]
                # Slack, like files_upload_v2, falls back to the file name for a title.
                title = str(entry.get("title") or known.filename)
                self._uploads[known.file_id] = attrs.evolve(
                    known,
                    channel=channels[0] if channels else None,
                    initial_comment=comment,
                    title=title,
                    completed=True,
                    thread_ts=thread_ts,
                )
                done.append({"id": known.file_id, "title": title})
        return {"ok": True, "files": done}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = {t.strip() for t in str(args.get("types") or "public_channel").split(",")}
        types.discard("")
        if not types or not types <= _CONVERSATION_TYPES:
            return {"ok": False, "error": "invalid_types"}
        limit = _page_limit(args)
        if limit is None:
            return {"ok": False, "error": "invalid_limit"}
        exclude_archived = _truthy(args.get("exclude_archived"))
        with self._lock:
            table = list(self._channels.values())
        start = _cursor_start("channel", args, [c.channel_id for c in table])
        if start is None:
            return {"ok": False, "error": "invalid_cursor"}
        # Every channel in the table is public, so only public_channel selects any.
        wanted = [
            c
            for c in table[start:]
            if "public_channel" in types and not (exclude_archived and c.is_archived)
        ]
        page, rest = wanted[:limit], wanted[limit:]
        next_cursor = _encode_cursor("channel", rest[0].channel_id) if rest else ""
        return {
            "ok": True,
            "channels": [_channel_object(c) for c in page],
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        with self._lock:
            person = self._people.get(user_id)
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": _user_object(person)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = _page_limit(args)
        if limit is None:
            return {"ok": False, "error": "invalid_limit"}
        with self._lock:
            table = list(self._people.values())
        start = _cursor_start("user", args, [p.user_id for p in table])
        if start is None:
            return {"ok": False, "error": "invalid_cursor"}
        page, rest = table[start : start + limit], table[start + limit :]
        return {
            "ok": True,
            "members": [_user_object(p) for p in page],
            "cache_ts": 1_700_000_000,
            "response_metadata": {
                "next_cursor": _encode_cursor("user", rest[0].user_id) if rest else ""
            },
        }


async def _wait_async(done: Callable[[], bool], seconds: float, what: str) -> None:
    # Polls on the caller's loop, so slack-sdk clients sharing that loop keep running.
    with anyio.move_on_after(seconds):
        while not done():  # noqa: ASYNC110 - the state lives in another thread, with no event
            await anyio.sleep(0.01)
        return
    raise TimeoutError(f"timed out waiting for {what}")


def _ok(args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a person, as conversations.open and a post to the person's
    own id give it: U0ADA talks to the bot in D0ADA, matching dm_message's defaults."""
    return "D" + user_id[1:]


def _conversations_open(args: dict[str, Any]) -> dict[str, Any]:
    users = [user.strip() for user in str(args.get("users") or "").split(",") if user.strip()]
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    channel = dm_channel(users[0]) if len(users) == 1 else "G" + "".join(u[1:] for u in users)
    return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel}}


def _truthy(value: Any) -> bool:
    # slack-sdk sends booleans as "1"/"0"; other clients send "true"/"false" or JSON booleans.
    return value is True or str(value).strip().lower() in {"1", "true"}


def _page_limit(args: dict[str, Any]) -> int | None:
    """The page size a listing asked for, or None for a limit Slack would call invalid."""
    try:
        limit = int(str(args.get("limit") or 0))
    except ValueError:
        return None
    if limit < 0:
        return None
    return min(limit or _DEFAULT_PAGE, _MAX_PAGE)


def _cursor_start(kind: str, args: dict[str, Any], ids: list[str]) -> int | None:
    """Where in the table `ids` the asked-for page starts; None for an invalid cursor."""
    cursor = str(args.get("cursor") or "")
    if not cursor:
        return 0
    # A cursor names the first entry of its page, so a page boundary stays put even if
    # entries are added meanwhile, as Slack's cursors do.
    first_id = _decode_cursor(kind, cursor)
    if first_id is None or first_id not in ids:
        return None
    return ids.index(first_id)


def _encode_cursor(kind: str, entry_id: str) -> str:
    # Slack's cursors are opaque base64 text such as "dXNlcjpVMDYxTkZUVDI=" ("user:U061NFTT2").
    return base64.b64encode(f"{kind}:{entry_id}".encode()).decode()


def _decode_cursor(kind: str, cursor: str) -> str | None:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    found, _, entry_id = text.partition(":")
    # A channel cursor handed to users.list is as invalid as a made-up one.
    return entry_id if found == kind and entry_id else None


def _user_object(person: _Person) -> dict[str, Any]:
    # The fields Slack gives a member in users.list and users.info that a bot reads.
    profile = {
        "display_name": person.display_name,
        "display_name_normalized": person.display_name,
        "real_name": person.real_name,
        "real_name_normalized": person.real_name,
    }
    user: dict[str, Any] = {
        "id": person.user_id,
        "team_id": TEAM_ID,
        "name": person.name,
        "deleted": person.deleted,
        "real_name": person.real_name,
        "is_bot": person.is_bot,
        "is_app_user": False,
        "profile": profile,
    }
    if person.timezone is not None:
        user["tz"] = person.timezone
    return user


def _channel_object(channel: _Channel) -> dict[str, Any]:
    # The fields Slack gives a public channel in conversations.list.
    return {
        "id": channel.channel_id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": False,
        "is_general": channel.is_general,
        "is_member": channel.is_member,
        "is_archived": channel.is_archived,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "context_team_id": TEAM_ID,
        "created": 1_600_000_000,
        "creator": "U0FOUNDER",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    }


async def _first_multipart_file(request: web.Request) -> bytes:
    # Slack's upload URL also takes a form with the bytes in a "file" part; take the first
    # part that is a file, or the first part at all.
    reader = await request.multipart()
    first: bytes | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue  # a nested multipart; nothing sends one
        data = await part.read()
        if part.filename is not None or part.name == "file":
            return bytes(data)
        first = bytes(data) if first is None else first
    return first or b""


def _json_arg(value: Any) -> Any:
    # Form posts carry blocks and the like as JSON text; JSON posts carry them decoded.
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
