from __future__ import annotations

from collections.abc import Sequence

import attrs

from lukas.application.ports.chat_model import ChatModelError, Completion
from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind

DEFAULT_USAGE = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)


@attrs.frozen
class FakeReply:
    """A scripted answer with more than its text: how it finished and the usage reported."""

    text: str
    finish_reason: str = "stop"
    usage: Usage | None = DEFAULT_USAGE  # None: the provider reported none, as some do


Step = str | FakeReply | ChatModelError


class FakeChatModel:
    """Answers from a script of replies and errors; then echoes. Records every call.

    A plain string is a reply that stopped normally. Like the real adapter, a reply the
    provider filtered down to nothing is a CONTENT_FILTER failure, not an empty completion.
    """

    def __init__(self, *script: Step) -> None:
        self._script = list(script)
        self.calls: list[tuple[ContextMessage, ...]] = []

    @property
    def name(self) -> str:
        return "fake:scripted"

    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    async def complete(self, messages: Sequence[ContextMessage]) -> Completion:
        self.calls.append(tuple(messages))
        step = self._script.pop(0) if self._script else f"echo: {messages[-1].content}"
        if isinstance(step, ChatModelError):
            raise step
        reply = FakeReply(step) if isinstance(step, str) else step
        if reply.finish_reason == "content_filter" and not reply.text.strip():
            raise ChatModelError(FailureKind.CONTENT_FILTER, "the reply was filtered")
        return Completion(
            text=reply.text,
            provider="fake",
            model="scripted",
            finish_reason=reply.finish_reason,
            usage=reply.usage,
        )
