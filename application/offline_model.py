"""The chat model Lukas has when none is configured: every call fails as missing credentials,
so the message use case answers with fallback phrases and records why."""

from __future__ import annotations

from collections.abc import Sequence

from lukas.application.ports.chat_model import ChatModelError, Completion, TextSink, Tool
from lukas.domain.context_window import ContextMessage
from lukas.domain.failures import FailureKind

# The name the offline model goes by, so a status can tell "no provider" from "healthy".
OFFLINE_MODEL_NAME = "offline:none"


class OfflineChatModel:
    def __init__(self, reason: str) -> None:
        self._reason = reason

    @property
    def name(self) -> str:
        return OFFLINE_MODEL_NAME

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        raise ChatModelError(FailureKind.MISSING_CREDENTIALS, self._reason, attempts=0)

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        return await self.complete(messages, tools)
