from __future__ import annotations

import attrs

from lukas.application.ports.chat_channel import DeliveryError
from lukas.domain.conversation_key import ConversationKey


@attrs.frozen
class Sent:
    conversation: ConversationKey
    in_reply_to: str
    text: str


class FakeChatChannel:
    """Keeps what was sent; can be told to refuse the next deliveries."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.alerts: list[tuple[tuple[str, ...], str]] = []
        self.thinking: list[str] = []  # in_reply_to ids, while a reply is being made
        self.refuse_next = 0

    async def send_reply(self, conversation: ConversationKey, in_reply_to: str, text: str) -> str:
        if self.refuse_next:
            self.refuse_next -= 1
            raise DeliveryError("the fake platform is down")
        self.sent.append(Sent(conversation, in_reply_to, text))
        return f"posted-{len(self.sent)}"

    async def find_reply(self, conversation: ConversationKey, in_reply_to: str) -> str | None:
        for number, sent in enumerate(self.sent, 1):
            if (sent.conversation, sent.in_reply_to) == (conversation, in_reply_to):
                return f"posted-{number}"
        return None

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        self.alerts.append((admins, text))

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        self.thinking.append(in_reply_to)

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        self.thinking.remove(in_reply_to)
