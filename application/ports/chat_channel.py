"""The chat platform port: where replies and notices go (a terminal, a Slack workspace)."""

from __future__ import annotations

from typing import Protocol

import attrs

from lukas.domain.conversation_key import ConversationKey


class DeliveryError(Exception):
    """The platform did not take the reply; it stays undelivered in the log."""


@attrs.frozen
class Rateable:
    """A reply people may rate (one a model wrote): what its buttons say it is."""

    reply_to: str  # the event id of the message it answers
    model: str  # provider:model


class StreamNotOpenError(DeliveryError):
    """The streamed message is no longer open for writing (stopped already, or timed out)."""


class ChatChannel(Protocol):
    async def send_reply(
        self,
        conversation: ConversationKey,
        in_reply_to: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> str:
        """Post `text` in the conversation; return the platform's id for the posted message.

        `in_reply_to` is the platform message id of the message being answered. `feedback`:
        the reply was written by a model, and people may say whether it was good.
        """
        ...

    def streams_in(self, conversation: ConversationKey) -> bool:
        """Whether a reply in `conversation` can be written as it comes (Slack: in a thread)."""
        ...

    async def start_stream(
        self, conversation: ConversationKey, in_reply_to: str, *, recipient: str | None = None
    ) -> str:
        """Open an empty message to write a reply into; returns its platform id. Raises
        DeliveryError when the platform does not take it. `recipient`: who asked (Slack
        wants to know in a channel)."""
        ...

    async def append_stream(self, conversation: ConversationKey, stream_id: str, text: str) -> None:
        """Add `text` to the open message (DeliveryError, StreamNotOpenError)."""
        ...

    async def stop_stream(
        self,
        conversation: ConversationKey,
        stream_id: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> None:
        """Add `text` (may be empty) and close the message for good (DeliveryError,
        StreamNotOpenError when it was closed already). `feedback` as for send_reply."""
        ...

    async def find_reply(self, conversation: ConversationKey, in_reply_to: str) -> str | None:
        """The id `send_reply` gave a reply to `in_reply_to` already posted, if the platform
        can tell; None if there is none, or the platform cannot say. Asked before a reply
        left undelivered by a dead process is posted, since it may have been posted just
        before the process died. Raises DeliveryError when the platform cannot be asked."""
        ...

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        """Show that Lukas is working on a reply to that message (best effort)."""
        ...

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        """Take the sign down again, whether a reply went out or not (best effort)."""
        ...

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        """Tell the admins privately (a DM each on Slack; stderr in a terminal)."""
        ...
