from __future__ import annotations

from collections.abc import Sequence

from lukas.application.ports.chat_model import ChatModelError, Completion
from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage


class FakeChatModel:
    """Answers from a script of replies and errors; then echoes. Records every call."""

    def __init__(self, *script: str | ChatModelError) -> None:
        self._script = list(script)
        self.calls: list[tuple[ContextMessage, ...]] = []

    @property
    def name(self) -> str:
        return "fake:scripted"

    def script(self, *steps: str | ChatModelError) -> None:
        self._script.extend(steps)

    async def complete(self, messages: Sequence[ContextMessage]) -> Completion:
        self.calls.append(tuple(messages))
        step = self._script.pop(0) if self._script else f"echo: {messages[-1].content}"
        if isinstance(step, ChatModelError):
            raise step
        return Completion(
            text=step,
            provider="fake",
            model="scripted",
            finish_reason="stop",
            usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
        )
