"""Lukas writing to one person privately, unasked: a check-in."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class SentDirect:
    channel: str  # the platform's id of the private conversation with the person
    message_id: str  # the platform's id of the posted message (Slack's ts)


class DirectMessages(Protocol):
    async def send_direct(self, person_id: str, text: str) -> SentDirect:
        """Open (or reuse) the private conversation with `person_id` and post `text`.

        Raises DeliveryError (from the chat channel port) when the platform refuses or
        cannot be reached; nothing was posted then.
        """
        ...
