"""Lukas posting in a channel on someone's behalf: an announcement, a channel reminder."""

from __future__ import annotations

from typing import Protocol

import attrs

from lukas.application.ports.chat_channel import DeliveryError


class ChannelNotFound(DeliveryError):
    """No channel has that name or id (or Lukas cannot see it)."""


class NotInChannel(DeliveryError):
    """The channel exists but Lukas is not a member, so he may not post there."""


@attrs.frozen
class PostedToChannel:
    channel: str  # the platform's channel id
    message_id: str


class ChannelPoster(Protocol):
    async def post_to_channel(self, channel: str, text: str) -> PostedToChannel:
        """Post `text` in `channel`: an id (C0123) or a name with or without '#'.

        Raises ChannelNotFound, NotInChannel, or DeliveryError for any other refusal.
        """
        ...
