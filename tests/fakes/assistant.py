from __future__ import annotations

from collections.abc import Sequence

import attrs

from lukas.application.ports.chat_channel import DeliveryError
from lukas.domain.conversation_key import ConversationKey


@attrs.frozen
class Greeting:
    conversation: ConversationKey
    text: str
    prompts: tuple[str, ...]


class FakeAssistantSurface:
    """Keeps greetings and titles; `refuse` makes every call fail as a platform would."""

    def __init__(self) -> None:
        self.greetings: list[Greeting] = []
        self.titles: list[tuple[ConversationKey, str]] = []
        self.refuse = False

    async def greet(self, conversation: ConversationKey, text: str, prompts: Sequence[str]) -> None:
        self._maybe_refuse(conversation)
        self.greetings.append(Greeting(conversation, text, tuple(prompts)))

    async def set_title(self, conversation: ConversationKey, title: str) -> None:
        self._maybe_refuse(conversation)
        self.titles.append((conversation, title))

    def _maybe_refuse(self, conversation: ConversationKey) -> None:
        if self.refuse or conversation.thread is None:
            raise DeliveryError(f"{conversation} is not an assistant thread")
