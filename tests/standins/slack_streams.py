"""Slack's streamed messages for the Slack stand-in: chat.startStream, chat.appendStream and
chat.stopStream, with the argument checks and errors Slack documents for them.

A stream is a bot message in a thread, in streaming state from chat.startStream until
chat.stopStream (or until Slack lets it lapse, which `expire` stands in for). Text comes as
`markdown_text`, or as `chunks` of type markdown_text (slack-sdk's chat_stream helper sends
only chunks); other chunk types (task_update, plan_update, blocks) are kept as sent. The
message shows in conversations.history and .replies with the text so far. Everything here
runs under the stand-in's lock; the server calls it from its request handlers.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

# Slack's documented limit for markdown_text, on each of the three methods.
MARKDOWN_TEXT_LIMIT = 12_000
_CHUNK_TYPES = frozenset({"markdown_text", "task_update", "plan_update", "blocks"})


@attrs.frozen
class StreamedMessage:
    """A streamed message as the stand-in saw it. `pieces` holds the text of each call that
    carried some (start, appends, stop), in order, and `piece_times` the time.monotonic() each
    arrived; `chunks` every chunk as sent, text or not. `stopped` is True once chat.stopStream
    ended it; `expired` once expire_stream() took it out of streaming state."""

    ts: str
    channel: str
    thread_ts: str
    recipient_user_id: str | None
    recipient_team_id: str | None
    pieces: tuple[str, ...]
    piece_times: tuple[float, ...]
    chunks: tuple[dict[str, Any], ...]
    stopped: bool
    expired: bool
    started_at: float
    stopped_at: float | None
    # What chat.stopStream gave: blocks (decoded from JSON text if sent so) and metadata.
    stop_blocks: list[Any] | None
    stop_metadata: dict[str, Any] | None

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def streaming(self) -> bool:
        return not (self.stopped or self.expired)


@attrs.define(eq=False)
class _Live:
    ts: str
    channel: str
    thread_ts: str
    recipient_user_id: str | None
    recipient_team_id: str | None
    message: dict[str, Any]  # the very dict conversations.history reads back
    started_at: float
    pieces: list[tuple[str, float]] = attrs.field(factory=list)
    chunks: list[dict[str, Any]] = attrs.field(factory=list)
    stopped: bool = False
    expired: bool = False
    stopped_at: float | None = None
    stop_blocks: list[Any] | None = None
    stop_metadata: dict[str, Any] | None = None

    def add(self, args: dict[str, Any], at: float) -> None:
        self.chunks.extend(_chunks(args))
        text = streamed_text(args)
        if text:
            self.pieces.append((text, at))
            self.message["text"] = "".join(piece for piece, _ in self.pieces)

    def snapshot(self) -> StreamedMessage:
        return StreamedMessage(
            ts=self.ts,
            channel=self.channel,
            thread_ts=self.thread_ts,
            recipient_user_id=self.recipient_user_id,
            recipient_team_id=self.recipient_team_id,
            pieces=tuple(piece for piece, _ in self.pieces),
            piece_times=tuple(at for _, at in self.pieces),
            chunks=tuple(self.chunks),
            stopped=self.stopped,
            expired=self.expired,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            stop_blocks=self.stop_blocks,
            stop_metadata=self.stop_metadata,
        )


def streamed_text(args: dict[str, Any]) -> str:
    """The Markdown a call carried: its markdown_text, then its markdown_text chunks' text."""
    text = str(args.get("markdown_text") or "")
    return text + "".join(
        str(chunk.get("text") or "") for chunk in _chunks(args) if chunk["type"] == "markdown_text"
    )


def markdown_blocks_text(args: dict[str, Any]) -> str:
    """The text of a call's `markdown` blocks (how Markdown goes beside other blocks)."""
    blocks = decoded(args.get("blocks"))
    if not isinstance(blocks, list):
        return ""
    return "".join(
        str(block.get("text") or "")
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "markdown"
    )


def _chunks(args: dict[str, Any]) -> list[dict[str, Any]]:
    chunks = decoded(args.get("chunks"))
    return [c for c in chunks if isinstance(c, dict)] if isinstance(chunks, list) else []


def decoded(value: Any) -> Any:
    # Form posts carry arrays and objects as JSON text; JSON posts carry them decoded.
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def invalid_arguments(message: str) -> dict[str, Any]:
    # Slack's shape for a malformed call: a generic code, the detail in response_metadata.
    return {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] {message}"]},
    }


def missing(args: dict[str, Any], *names: str) -> dict[str, Any] | None:
    for name in names:
        if args.get(name) is None or str(args[name]) == "":
            return invalid_arguments(f"missing required field: {name}")
    return None


def content_error(args: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's answer to text or chunks it would refuse, or None."""
    chunks = decoded(args.get("chunks"))
    if chunks is not None:
        if not isinstance(chunks, list):
            return invalid_arguments("chunks must be an array")
        for chunk in chunks:
            if not isinstance(chunk, dict) or chunk.get("type") not in _CHUNK_TYPES:
                return invalid_arguments(f"unknown chunk type: {_type_of(chunk)}")
            if chunk["type"] == "markdown_text" and not isinstance(chunk.get("text"), str):
                return invalid_arguments("a markdown_text chunk needs a text")
    # Slack names no error of its own for markdown_text past its limit; msg_too_long is the
    # one its tables give for text too long.
    if len(streamed_text(args)) > MARKDOWN_TEXT_LIMIT:
        return {"ok": False, "error": "msg_too_long"}
    return None


def _type_of(chunk: Any) -> str:
    return str(chunk.get("type")) if isinstance(chunk, dict) else type(chunk).__name__


def recipient_error(channel: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """Slack wants to know whom a stream is for outside a DM ("Required when streaming to
    channels"), with errors of its own for each id left out."""
    if channel[:1] not in "CG":
        return None
    if not args.get("recipient_user_id"):
        return {"ok": False, "error": "missing_recipient_user_id"}
    if not args.get("recipient_team_id"):
        return {"ok": False, "error": "missing_recipient_team_id"}
    return None


class StreamTable:
    """Streams by ts, oldest first. The caller holds the stand-in's lock around every call."""

    def __init__(self) -> None:
        self._streams: dict[str, _Live] = {}

    def clear(self) -> None:
        self._streams.clear()

    def start(self, channel: str, args: dict[str, Any], message: dict[str, Any], at: float) -> None:
        live = _Live(
            ts=str(message["ts"]),
            channel=channel,
            thread_ts=str(args["thread_ts"]),
            recipient_user_id=_optional(args.get("recipient_user_id")),
            recipient_team_id=_optional(args.get("recipient_team_id")),
            message=message,
            started_at=at,
        )
        live.add(args, at)
        self._streams[live.ts] = live

    def refusal(
        self, channel: str, ts: str, history: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Slack's error for appending to or stopping `ts` in `channel`, or None."""
        live = self._streams.get(ts)
        if live is None or live.channel != channel:
            # A message that is there but was never streamed is simply not streaming.
            posted = any(message.get("ts") == ts for message in history)
            return {
                "ok": False,
                "error": "message_not_in_streaming_state" if posted else "message_not_found",
            }
        if live.stopped or live.expired:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        return None

    def append(self, ts: str, args: dict[str, Any], at: float) -> None:
        self._streams[ts].add(args, at)

    def stop(self, ts: str, args: dict[str, Any], at: float) -> dict[str, Any]:
        live = self._streams[ts]
        live.add(args, at)
        live.stopped, live.stopped_at = True, at
        blocks = decoded(args.get("blocks"))
        if blocks is not None:
            live.stop_blocks = blocks if isinstance(blocks, list) else [blocks]
            live.message["blocks"] = live.stop_blocks
        metadata = decoded(args.get("metadata"))
        if isinstance(metadata, dict):
            live.stop_metadata = metadata
            live.message["metadata"] = metadata
        return live.message

    def expire(self, ts: str) -> None:
        """Raises KeyError for a ts that was never streamed."""
        self._streams[ts].expired = True

    def snapshots(self) -> list[StreamedMessage]:
        return [live.snapshot() for live in self._streams.values()]


def _optional(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
