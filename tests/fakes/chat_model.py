from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs

from lukas.application.ports.chat_model import ChatModelError, Completion, Tool, ToolCall
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
        self.calls.append(tuple(messages))
        self.tool_offers.append(tuple(tools))
        step = self._script.pop(0) if self._script else f"echo: {messages[-1].content}"
        if isinstance(step, ChatModelError):
            raise step
        reply = FakeReply(step) if isinstance(step, str) else step
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
