"""The assistant pane of a chat platform (Slack's AI-app surface): a new thread's greeting
with suggested prompts, and its title."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lukas.domain.conversation_key import ConversationKey


class AssistantSurface(Protocol):
    async def greet(self, conversation: ConversationKey, text: str, prompts: Sequence[str]) -> None:
        """Say `text` in a new assistant thread and offer `prompts` to click (each is also
        what the click says). Raises DeliveryError when the platform does not take it."""
        ...

    async def set_title(self, conversation: ConversationKey, title: str) -> None:
        """Name the thread in the person's history (DeliveryError when refused)."""
        ...
