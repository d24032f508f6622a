from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import attrs

from lukas.application.ports.chat_model import (
    ChatModelError,
    Completion,
    TextSink,
    Tool,
    ToolCall,
)
from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind

DEFAULT_USAGE = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)

log = logging.getLogger(__name__)


@attrs.frozen
class FakeReply:
    """A scripted answer with more than its text: how it finished, the usage reported and
    the tools the model asked for."""

    text: str
    finish_reason: str = "stop"
    usage: Usage | None = DEFAULT_USAGE  # None: the provider reported none, as some do
    tool_calls: tuple[ToolCall, ...] = ()
    # How `stream` hands the text on: these pieces (joined, they must be `text`); None: one
    # piece per word, spaces kept.
    pieces: tuple[str, ...] | None = None
    # Streaming fails with this after `pieces` went out (text in `pieces` only).
    fails_after: ChatModelError | None = None

    def __attrs_post_init__(self) -> None:
        if self.pieces is not None and self.fails_after is None:
            assert "".join(self.pieces) == self.text, "the pieces of a reply must join into it"


Step = str | FakeReply | ChatModelError


class FakeChatModel:
    """Answers from a script of replies and errors; then echoes. Records every call.

    A plain string is a reply that stopped normally. Like the real adapter, a reply the
    provider filtered down to nothing is a CONTENT_FILTER failure, not an empty completion,
    and a scripted tool call the port would not let through (a tool not offered in that
    call, arguments that are not a dict) is dropped, EMPTY_REPLY if nothing is left.
    """

    def __init__(self, *script: Step) -> None:
        self._script = list(script)
        self.calls: list[tuple[ContextMessage, ...]] = []
        # The tools offered in each call, in step with `calls`.
        self.tool_offers: list[tuple[Tool, ...]] = []

    @property
    def name(self) -> str:
        return "fake:scripted"

    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        reply = self._next(messages, tools)
        if reply.fails_after is not None:
            raise reply.fails_after
        return _completion(reply, tools)

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        reply = self._next(messages, tools)
        pieces = reply.pieces if reply.pieces is not None else _words(reply.text)
        for piece in pieces:
            if piece:
                await on_text(piece)
        if reply.fails_after is not None:
            raise reply.fails_after
        return _completion(reply, tools)

    def _next(self, messages: Sequence[ContextMessage], tools: Sequence[Tool]) -> FakeReply:
        self.calls.append(tuple(messages))
        self.tool_offers.append(tuple(tools))
        step = self._script.pop(0) if self._script else f"echo: {messages[-1].content}"
        if isinstance(step, ChatModelError):
            raise step
        return FakeReply(step) if isinstance(step, str) else step


def _completion(reply: FakeReply, tools: Sequence[Tool]) -> Completion:
    if reply.finish_reason == "content_filter" and not reply.text.strip():
        raise ChatModelError(FailureKind.CONTENT_FILTER, "the reply was filtered")
    calls = _usable(reply.tool_calls, {tool.name for tool in tools})
    if reply.tool_calls and not calls and not reply.text.strip():
        detail = f"no text, and none of the {len(reply.tool_calls)} tool call(s) could be used"
        raise ChatModelError(FailureKind.EMPTY_REPLY, detail)
    return Completion(
        text=reply.text,
        provider="fake",
        model="scripted",
        finish_reason=reply.finish_reason,
        usage=reply.usage,
        tool_calls=calls,
    )


def _words(text: str) -> list[str]:
    """The text in pieces of one word each, the space before a word kept with it."""
    return re.findall(r"\s*\S+|\s+$", text)


def _usable(asked: tuple[ToolCall, ...], offered: set[str]) -> tuple[ToolCall, ...]:
    usable: list[ToolCall] = []
    for call in asked:
        # A script may hold any object here; the port promises callers a dict.
        arguments: object = call.arguments
        if call.name not in offered:
            reason = "it names a tool that was not offered"
        elif not isinstance(arguments, dict):
            reason = "its arguments are not a JSON object"
        else:
            usable.append(call)
            continue
        log.warning("fake:scripted asked to call %r; dropped, as %s", call.name, reason)
    return tuple(usable)
