"""The chat model port: send the context window, get a reply or a classified failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs

from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind


@attrs.frozen
class Completion:
    text: str
    provider: str
    model: str
    finish_reason: str
    usage: Usage | None


class ChatModelError(Exception):
    """A model call that failed, classified so the use case can decide what to do."""

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail  # never holds a secret: adapters redact before raising
        self.attempts = attempts
        # Seconds the provider asked us to wait before trying again, when it said.
        self.retry_after = retry_after


class ChatModel(Protocol):
    @property
    def name(self) -> str:
        """`provider:model`, for logs and events."""
        ...

    async def complete(self, messages: Sequence[ContextMessage]) -> Completion:
        """Raises ChatModelError; never a provider's own exception."""
        ...
