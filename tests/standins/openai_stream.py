"""Streamed chat answers for the OpenAI stand-in, in Chat Completions' server-sent events.

A request with `"stream": true` is answered as OpenAI answers it: HTTP 200 with
`text/event-stream`, then one `data: {chat.completion.chunk}` event per delta: the first
carries `delta.role` "assistant", then content pieces, then function tool calls (a header
with index, id and name, then argument fragments), then a chunk with only `finish_reason`,
and, when the request asked for `stream_options.include_usage`, a last chunk with empty
`choices` and the usage (every earlier chunk then carries `"usage": null`). `data: [DONE]`
ends the stream.

A plain Reply step streams one word per chunk at once; a Streamed step says how: its
pieces, a delay before the first chunk and between chunks, and a StreamBreak to fail
mid-stream. Every event written is logged with the monotonic time it went out (StreamLog).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

if TYPE_CHECKING:
    from standins.openai_server import Failure, RecordedRequest, Reply, ToolCallReply

_WORD = re.compile(r"\s*\S+|\s+")


def words(text: str) -> tuple[str, ...]:
    """`text` cut before each word, spaces kept with the word after them, as tokens come:
    "Hi there, bear" -> ("Hi", " there,", " bear"). The pieces join back to `text`."""
    return tuple(_WORD.findall(text))


@attrs.frozen
class StreamBreak:
    """The stream fails after `after` content deltas: text pieces and tool-call deltas. The
    role-only first chunk is not counted, so 0 sends no chunk at all after the HTTP 200; an
    `after` past the reply's deltas breaks where its finish_reason chunk would have gone.
    With `error`, an SSE event {"error": ...} goes out first, as OpenAI reports a failure
    mid-stream (the SDK raises APIError). `abrupt` closes the TCP connection without ending
    the chunked body (the SDK raises APIConnectionError); otherwise the body ends cleanly,
    with no [DONE]."""

    after: int
    error: Failure | None = None
    abrupt: bool = True


def _optional_tuple(pieces: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if pieces is None else tuple(pieces)


@attrs.frozen
class Streamed:
    """How a reply is streamed. `pieces` None: one word per chunk (see words()); given, they
    are sent as they are, and need not join to reply.text. `first_delay` is waited before
    the first chunk (the HTTP 200 goes out at once), `between` before each later delta.
    Tool-call arguments go out in fragments of at most `argument_fragment` characters.
    A request without "stream": true gets the reply as one plain completion."""

    reply: Reply
    pieces: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    first_delay: float = 0.0
    between: float = 0.0
    cut: StreamBreak | None = None
    argument_fragment: int = 8

    def __attrs_post_init__(self) -> None:
        if self.argument_fragment < 1:
            raise ValueError("argument_fragment must be at least 1")
        if any(call.custom for call in self.reply.tool_calls):
            # Chat Completions streams only function calls (ChoiceDeltaToolCall.type).
            raise ValueError("a streamed reply can only call function tools")

    def text_pieces(self) -> tuple[str, ...]:
        return self.pieces if self.pieces is not None else words(self.reply.text)


@attrs.frozen
class SentEvent:
    """One server-sent event as written: `data` is its payload ("[DONE]" for the end), `at`
    the time.monotonic() as it was handed to the connection."""

    data: str
    at: float

    @property
    def chunk(self) -> dict[str, Any] | None:
        """The decoded chunk, or None for [DONE]."""
        if self.data == "[DONE]":
            return None
        decoded: dict[str, Any] = json.loads(self.data)
        return decoded

    @property
    def content(self) -> str | None:
        """The text delta this event carried, or None."""
        chunk = self.chunk
        choices = chunk.get("choices") if chunk else None
        if not choices:
            return None
        content = choices[0].get("delta", {}).get("content")
        return content if isinstance(content, str) and content else None


@attrs.frozen
class StreamLog:
    """A streamed answer: the request, the events written in order, and whether it ended
    with [DONE] (False while under way, and for a broken stream)."""

    request: RecordedRequest
    events: tuple[SentEvent, ...]
    done: bool

    @property
    def text(self) -> str:
        return "".join(event.content or "" for event in self.events)

    def content_times(self) -> list[float]:
        """When each text delta went out, in order."""
        return [event.at for event in self.events if event.content is not None]


class _Released(Exception):
    """stop() or reset() let go of a stream mid-way."""


async def stream_answer(
    request: web.Request,
    step: Streamed,
    body: Any,
    release: asyncio.Event,
    log: Callable[[SentEvent | None], None],
) -> web.StreamResponse:
    """Writes the streamed answer. `log` gets each event as it is written, and None just
    before [DONE]."""
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "text/event-stream; charset=utf-8"}
    )
    await response.prepare(request)
    cut = step.cut
    chunk = _chunk_maker(step.reply, body)
    try:
        await _pause(release, step.first_delay)
        sent = 0  # content deltas; the role-only chunk rides with the first of them
        for delta, counts in _deltas(step):
            if cut is not None and sent >= cut.after:
                return await _break(request, response, cut, log)
            if counts and sent > 0:
                await _pause(release, step.between)
            await _send(response, json.dumps(chunk(delta, None)), log)
            sent += counts
        if cut is not None:
            return await _break(request, response, cut, log)
        await _send(response, json.dumps(chunk({}, _finish_reason(step.reply))), log)
        if _include_usage(body) and step.reply.usage is not None:
            await _send(response, json.dumps(chunk(None, None)), log)
        log(None)
        await _send(response, "[DONE]", log)
        await response.write_eof()
    except _Released:
        _close(request)
    except ConnectionError:
        pass  # the client went away mid-stream; nothing more to write
    return response


async def _break(
    request: web.Request,
    response: web.StreamResponse,
    cut: StreamBreak,
    log: Callable[[SentEvent | None], None],
) -> web.StreamResponse:
    if cut.error is not None:
        await _send(response, json.dumps(cut.error.payload()), log)
    if cut.abrupt:
        _close(request)
    else:
        await response.write_eof()
    return response


def _close(request: web.Request) -> None:
    # No terminating zero-length chunk: the client sees the body end mid-way.
    if request.transport is not None:
        request.transport.close()


async def _pause(release: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        if release.is_set():
            raise _Released
        return
    try:
        await asyncio.wait_for(release.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise _Released


async def _send(
    response: web.StreamResponse, data: str, log: Callable[[SentEvent | None], None]
) -> None:
    # Logged first, so a client can never have seen an event the log does not show yet.
    log(SentEvent(data, time.monotonic()))
    await response.write(f"data: {data}\n\n".encode())


def _deltas(step: Streamed) -> Iterator[tuple[dict[str, Any], bool]]:
    """The deltas in order, each with whether it carries content; the first one names the
    role, as OpenAI's does."""
    reply = step.reply
    pieces = step.text_pieces()
    first = True
    if pieces or not reply.tool_calls:
        # OpenAI's first chunk names the role with empty content; the text follows.
        first = False
        yield {"role": "assistant", "content": "", "refusal": None}, False
    for piece in pieces:
        yield {"content": piece}, True
    for index, call in enumerate(reply.tool_calls):
        for delta in _tool_call_deltas(index, call, step.argument_fragment):
            if first:
                first = False
                yield {"role": "assistant", "content": None, "refusal": None, **delta}, True
            else:
                yield delta, True


def _tool_call_deltas(index: int, call: ToolCallReply, size: int) -> Iterator[dict[str, Any]]:
    wire = call.wire()
    header = {
        "index": index,
        "id": wire["id"],
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    yield {"tool_calls": [header]}
    arguments = call.arguments
    for start in range(0, len(arguments), size):
        fragment = {"index": index, "function": {"arguments": arguments[start : start + size]}}
        yield {"tool_calls": [fragment]}


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _include_usage(body: Any) -> bool:
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _chunk_maker(
    reply: Reply, body: Any
) -> Callable[[dict[str, Any] | None, str | None], dict[str, Any]]:
    """Builds chunks sharing one id, time and model. A None delta makes the usage chunk."""
    requested = body.get("model") if isinstance(body, dict) else None
    base: dict[str, Any] = {
        "id": f"chatcmpl-standin-{time.monotonic_ns()}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or requested or "stand-in-model",
        "system_fingerprint": "fp_standin",
    }
    with_usage = _include_usage(body)

    def chunk(delta: dict[str, Any] | None, finish_reason: str | None) -> dict[str, Any]:
        if delta is None:
            usage = reply.usage
            assert usage is not None
            totals = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            return {**base, "choices": [], "usage": totals}
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        made = {**base, "choices": [choice]}
        if with_usage:
            made["usage"] = None
        return made

    return chunk
