"""A scripted stand-in for an OpenAI-compatible chat and images server, on 127.0.0.1.

Real clients reach it over HTTP, so tests exercise the same bytes the provider would send.
It runs its own event loop in a daemon thread: the test's loop, a synchronous test or a
child process can all talk to it, and a hanging request never blocks the test itself.
Each chat request consumes one scripted step; an empty script answers with a default reply.
A Reply may call tools, answered in OpenAI's wire shape; what a request offered is in its
recorded body (RecordedRequest.tools).
Image requests (POST /v1/images/generations) have a queue of their own, so a test that
chats and draws never has one request eat the other's step; an empty one answers ImageB64().
URL answers point at /files/<n>.png on the stand-in itself, as a provider's CDN would.
A chat request with "stream": true is answered in server-sent events (see openai_stream):
a Reply streams one word per chunk at once, a Streamed step paces and breaks the stream,
and streams() shows what went out, and when.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import itertools
import json
import socket
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterable
from typing import Any

import anyio
import attrs
from aiohttp import web

from standins.openai_stream import SentEvent, StreamBreak, Streamed, StreamLog, stream_answer, words
from standins.threaded_server import ThreadedServer

__all__ = [
    "TINY_PNG",
    "Delay",
    "Drop",
    "Failure",
    "Hang",
    "ImageB64",
    "ImageStep",
    "ImageUrl",
    "ImageUsage",
    "Malformed",
    "OpenAIStandIn",
    "RecordedRequest",
    "Reply",
    "SentEvent",
    "Step",
    "StreamBreak",
    "StreamLog",
    "Streamed",
    "ToolCallReply",
    "Usage",
    "tiny_png",
    "words",
]


@attrs.frozen
class Usage:
    prompt_tokens: int = 12
    completion_tokens: int = 7

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@attrs.frozen
class ToolCallReply:
    """One tool call in a reply. `arguments` is sent verbatim as the JSON string the wire
    carries, so a test can send arguments that are not JSON, or not an object."""

    name: str
    arguments: str = "{}"
    id: str | None = None  # None: a fresh call_... id, as OpenAI makes one per call
    # A custom (free-form) tool call, of a kind Lukas never offers; `arguments` is its input.
    custom: bool = False

    def wire(self) -> dict[str, Any]:
        call_id = self.id or f"call_{uuid.uuid4().hex[:24]}"
        if self.custom:
            return {
                "id": call_id,
                "type": "custom",
                "custom": {"name": self.name, "input": self.arguments},
            }
        return {
            "id": call_id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


def _tool_calls(calls: Iterable[ToolCallReply]) -> tuple[ToolCallReply, ...]:
    return tuple(calls)


@attrs.frozen
class Reply:
    text: str = "..."
    # None: "tool_calls" when the reply calls tools, else "stop", as OpenAI answers.
    finish_reason: str | None = None
    usage: Usage | None = Usage()  # None omits the key, as some real servers do.
    model: str | None = None  # None echoes the model the request asked for.
    tool_calls: tuple[ToolCallReply, ...] = attrs.field(default=(), converter=_tool_calls)


def _error(message: str, type_: str | None, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


@attrs.frozen
class Failure:
    """An HTTP error. A dict body is sent verbatim; a str becomes the error's message."""

    status: int
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = attrs.field(factory=dict)

    def payload(self) -> dict[str, Any]:
        if isinstance(self.body, dict):
            return self.body
        kind = "server_error" if self.status >= 500 else "invalid_request_error"
        return _error(self.body or f"Stand-in failure {self.status}", kind, None, None)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> Failure:
        body = _error("Rate limit reached for requests", "requests", None, "rate_limit_exceeded")
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls(429, body, headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Failure:
        message = "The server had an error while processing your request. Sorry about that!"
        return cls(status, _error(message, "server_error", None, None))

    @classmethod
    def unauthorized(cls) -> Failure:
        message = "Incorrect API key provided."
        return cls(401, _error(message, "invalid_request_error", None, "invalid_api_key"))

    @classmethod
    def bad_request(
        cls, message: str, param: str | None = None, code: str | None = None
    ) -> Failure:
        return cls(400, _error(message, "invalid_request_error", param, code))

    @classmethod
    def unsupported_parameter(cls, param: str) -> Failure:
        message = (
            f"Unsupported value: '{param}' does not support 0.7 with this model. "
            "Only the default (1) value is supported."
        )
        return cls.bad_request(message, param=param, code="unsupported_value")

    @classmethod
    def content_filter(cls) -> Failure:
        message = (
            "The response was filtered due to the prompt triggering the content management "
            "policy. Please modify your prompt and retry."
        )
        return cls.bad_request(message, param="prompt", code="content_filter")

    @classmethod
    def context_length(cls) -> Failure:
        message = (
            "This model's maximum context length is 8192 tokens. However, your messages "
            "resulted in 9000 tokens. Please reduce the length of the messages."
        )
        return cls.bad_request(message, param="messages", code="context_length_exceeded")

    @classmethod
    def content_policy(
        cls, code: str = "content_policy_violation", type_: str = "invalid_request_error"
    ) -> Failure:
        """The image endpoint's refusal: DALL-E said content_policy_violation, GPT image
        models say moderation_blocked; the message wording differs between them too."""
        message = (
            "Your request was rejected as a result of our safety system. Your prompt may "
            "contain text that is not allowed by our safety system."
        )
        return cls(400, _error(message, type_, None, code))


def tiny_png(rgba: tuple[int, int, int, int] = (139, 90, 46, 255)) -> bytes:
    """A valid one-pixel PNG (honey brown unless told), so tests can tell pictures apart."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8-bit RGBA
    pixels = zlib.compress(bytes([0, *rgba]))  # one scanline: filter byte, then the pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


TINY_PNG = tiny_png()


@attrs.frozen
class ImageUsage:
    input_tokens: int = 20
    output_tokens: int = 272


@attrs.frozen
class ImageB64:
    """A GPT image model's answer: the picture inline as base64, with token usage."""

    png: bytes = TINY_PNG
    revised_prompt: str | None = None  # GPT image models send none; None omits the key
    usage: ImageUsage | None = ImageUsage()


@attrs.frozen
class ImageUrl:
    """A DALL-E-style answer: a URL to fetch the picture from (GET /files/<n>.png here).

    `url_status` other than 200 makes that fetch fail, as an expired or lost URL would.
    """

    png: bytes = TINY_PNG
    revised_prompt: str | None = None
    url_status: int = 200


@attrs.frozen
class Malformed:
    body: str = "{not json"
    status: int = 200


@attrs.frozen
class Delay:
    seconds: float
    then: Step | ImageStep


@attrs.frozen
class Hang:
    """Never answers; stop() or reset() then drops the connection."""


@attrs.frozen
class Drop:
    """Closes the connection without sending a response."""


Step = Reply | Streamed | Failure | Malformed | Delay | Hang | Drop
ImageStep = ImageB64 | ImageUrl | Failure | Malformed | Delay | Hang | Drop


@attrs.frozen
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # Keys are lower-cased, so lookups need not guess the client's case.
    body: Any
    at: float = 0.0  # time.monotonic() when the request arrived

    @property
    def stream(self) -> bool:
        """Whether the request asked for a streamed answer ("stream": true)."""
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def stream_options(self) -> dict[str, Any] | None:
        options = self.body.get("stream_options") if isinstance(self.body, dict) else None
        return options if isinstance(options, dict) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body["messages"]
        return messages

    @property
    def roles(self) -> list[str]:
        return [str(message["role"]) for message in self.messages]

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        """The tools the request offered, as sent; None when it had no `tools` key."""
        tools: list[dict[str, Any]] | None = (
            self.body.get("tools") if isinstance(self.body, dict) else None
        )
        return tools

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.endswith("/chat/completions")

    @property
    def is_image(self) -> bool:
        return self.method == "POST" and self.path.endswith("/images/generations")

    @property
    def is_file(self) -> bool:
        """A fetch of a URL an ImageUrl answer handed out."""
        return self.method == "GET" and self.path.startswith("/files/")


@attrs.define(eq=False)
class _StreamRecord:
    """A streamed answer as the server writes it; guarded by the stand-in's lock."""

    request: RecordedRequest
    events: list[SentEvent] = attrs.field(factory=list)
    done: bool = False  # [DONE] went out
    ended: bool = False  # the handler finished, whether with [DONE] or not


class OpenAIStandIn(ThreadedServer):
    _name = "openai-standin"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Condition()
        self._steps: collections.deque[Step] = collections.deque()
        self._image_steps: collections.deque[ImageStep] = collections.deque()
        # Served by GET /files/<name>; numbered across resets so a stale URL never hits a new file.
        self._files: dict[str, ImageUrl] = {}
        self._file_numbers = itertools.count(1)
        self._requests: list[RecordedRequest] = []
        self._ollama_models: list[str] = []
        # Streamed answers in the order they started: the request, events so far, done.
        self._streams: list[_StreamRecord] = []
        # Hanging and delayed handlers wait on this; setting it lets stop() and reset() finish.
        self._release: asyncio.Event | None = None

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def stop(self) -> None:
        super().stop()
        self._release = None

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    def script_images(self, *steps: ImageStep) -> None:
        with self._lock:
            self._image_steps.extend(steps)

    def reset(self) -> None:
        with self._lock:
            self._steps.clear()
            self._image_steps.clear()
            self._files.clear()
            self._requests.clear()
            self._ollama_models.clear()
            self._streams.clear()
        if self._loop is not None:
            # Wait for the release, so no request from before reset() is still pending after it.
            asyncio.run_coroutine_threadsafe(self._release_waiters(), self._loop).result(5)

    def serve_ollama_models(self, *names: str) -> None:
        with self._lock:
            self._ollama_models = list(names)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.is_chat]

    def image_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.is_image]

    def file_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.is_file]

    def streams(self) -> list[StreamLog]:
        """Every streamed answer since start or the last reset(), in the order they began,
        as written so far."""
        with self._lock:
            return [
                StreamLog(record.request, tuple(record.events), record.done)
                for record in self._streams
            ]

    def wait_for_streams(self, count: int, timeout: float = 5.0) -> list[StreamLog]:
        """Blocks until `count` streamed answers have ended, with [DONE] or broken."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while (ended := sum(record.ended for record in self._streams)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"saw {ended} streams end, wanted {count}")
                self._lock.wait(remaining)
        return self.streams()

    async def wait_for_streams_async(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps a broken test short
    ) -> list[StreamLog]:
        """wait_for_streams for a test whose own loop runs the client: it polls on that loop
        instead of blocking it."""
        with anyio.move_on_after(timeout):
            while self._ended_streams() < count:  # noqa: ASYNC110 - set from another thread
                await anyio.sleep(0.01)
            return self.streams()
        raise TimeoutError(f"saw {self._ended_streams()} streams end, wanted {count}")

    def _ended_streams(self) -> int:
        with self._lock:
            return sum(record.ended for record in self._streams)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while (seen := sum(r.is_chat for r in self._requests)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"saw {seen} chat requests, wanted {count}")
                self._lock.wait(remaining)
        return self.chat_requests()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Released handlers finish at once; the short timeout only bounds a misbehaving one.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            ready.set()
            await self._until_stopped()
            await self._release_waiters()
        finally:
            await runner.cleanup()

    async def _release_waiters(self) -> None:
        if self._release is not None:
            self._release.set()
        self._release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(recorded)
            self._lock.notify_all()
            number = sum(r.is_chat for r in self._requests)
            step = self._steps.popleft() if recorded.is_chat and self._steps else None
            image_step = (
                self._image_steps.popleft() if recorded.is_image and self._image_steps else None
            )
            served = self._files.get(request.path.removeprefix("/files/"))
            ollama_models = list(self._ollama_models)
        # The lock is a thread lock: never hold it across an await.
        if recorded.is_chat:
            return await self._answer(request, step or _default_reply(number, body), body, recorded)
        if recorded.is_image:
            return await self._answer(request, image_step or ImageB64(), body, recorded)
        if recorded.is_file and served is not None:
            return _serve_file(served)
        if request.method == "GET" and request.path.endswith("/models"):
            return web.json_response({"object": "list", "data": []})
        if request.method == "GET" and request.path == "/api/tags" and ollama_models:
            models = [{"name": name, "model": name} for name in ollama_models]
            return web.json_response({"models": models})
        return web.json_response(
            _error(f"No route for {request.path}", None, None, None), status=404
        )

    async def _answer(
        self, request: web.Request, step: Step | ImageStep, body: Any, recorded: RecordedRequest
    ) -> web.StreamResponse:
        release = self._release
        assert release is not None
        # Delay and Hang wait first; a release by stop() or reset() turns them into a Drop.
        while isinstance(step, Delay | Hang):
            seconds = step.seconds if isinstance(step, Delay) else None
            try:
                await asyncio.wait_for(release.wait(), timeout=seconds)
                step = Drop()
            except TimeoutError:
                step = step.then if isinstance(step, Delay) else Drop()
        match step:
            case Reply() if recorded.stream:
                return await self._stream(request, Streamed(step), body, recorded, release)
            case Streamed() if recorded.stream:
                return await self._stream(request, step, body, recorded, release)
            case Reply():
                return web.json_response(_completion(step, body))
            case Streamed():
                return web.json_response(_completion(step.reply, body))
            case ImageB64():
                return web.json_response(_b64_image(step, body))
            case ImageUrl():
                with self._lock:
                    name = f"{next(self._file_numbers)}.png"
                    self._files[name] = step
                return web.json_response(_url_image(step, f"{self.root_url}/files/{name}"))
            case Failure():
                return web.json_response(step.payload(), status=step.status, headers=step.headers)
            case Malformed():
                return web.Response(
                    text=step.body, status=step.status, content_type="application/json"
                )
            case Drop():
                return _drop(request)

    async def _stream(
        self,
        request: web.Request,
        step: Streamed,
        body: Any,
        recorded: RecordedRequest,
        release: asyncio.Event,
    ) -> web.StreamResponse:
        record = _StreamRecord(recorded)
        with self._lock:
            self._streams.append(record)

        def log(event: SentEvent | None) -> None:
            with self._lock:
                if event is None:
                    record.done = True
                else:
                    record.events.append(event)

        try:
            return await stream_answer(request, step, body, release, log)
        finally:
            with self._lock:
                record.ended = True
                self._lock.notify_all()


def _drop(request: web.Request) -> web.StreamResponse:
    # With the transport closed, aiohttp's write of this response fails quietly and the
    # client sees the connection end with no response at all.
    if request.transport is not None:
        request.transport.close()
    return web.Response()


def _default_reply(number: int, body: Any) -> Reply:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    last = str(users[-1].get("content", "")) if users else ""
    return Reply(text=f"Stand-in reply {number} to: {last[:40]}")


def _completion(reply: Reply, body: Any) -> dict[str, Any]:
    requested = body.get("model") if isinstance(body, dict) else None
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        # OpenAI sends null, not "", for a turn that only calls tools.
        message["content"] = reply.text or None
        message["tool_calls"] = [call.wire() for call in reply.tool_calls]
    finish_reason = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    completion: dict[str, Any] = {
        "id": f"chatcmpl-standin-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or requested or "stand-in-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason,
            }
        ],
    }
    if reply.usage is not None:
        completion["usage"] = {
            "prompt_tokens": reply.usage.prompt_tokens,
            "completion_tokens": reply.usage.completion_tokens,
            "total_tokens": reply.usage.total_tokens,
        }
    return completion


def _serve_file(served: ImageUrl) -> web.Response:
    if served.url_status != 200:
        return web.Response(text="The URL has expired.", status=served.url_status)
    return web.Response(body=served.png, content_type="image/png")


def _b64_image(image: ImageB64, body: Any) -> dict[str, Any]:
    asked = body if isinstance(body, dict) else {}
    size = asked.get("size") if asked.get("size") not in (None, "auto") else "1024x1024"
    # The real API reports the quality it used, so "auto" (or none) comes back resolved.
    quality = asked.get("quality")
    if quality not in ("low", "medium", "high", "xhigh", "max"):
        quality = "medium"
    item: dict[str, Any] = {"b64_json": base64.b64encode(image.png).decode("ascii")}
    if image.revised_prompt is not None:
        item["revised_prompt"] = image.revised_prompt
    answer: dict[str, Any] = {
        "created": int(time.time()),
        "background": "opaque",
        "output_format": "png",
        "quality": quality,
        "size": size,
        "data": [item],
    }
    if image.usage is not None:
        tokens_in, tokens_out = image.usage.input_tokens, image.usage.output_tokens
        answer["usage"] = {
            "input_tokens": tokens_in,
            "input_tokens_details": {"image_tokens": 0, "text_tokens": tokens_in},
            "output_tokens": tokens_out,
            "output_tokens_details": {"image_tokens": tokens_out, "text_tokens": 0},
            "total_tokens": tokens_in + tokens_out,
        }
    return answer


def _url_image(image: ImageUrl, url: str) -> dict[str, Any]:
    item: dict[str, Any] = {"url": url}
    if image.revised_prompt is not None:
        item["revised_prompt"] = image.revised_prompt
    return {"created": int(time.time()), "data": [item]}
