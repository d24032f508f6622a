"""What the model may ask Lukas to do in a conversation, and who carries it out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs

from lukas.application.ports.chat_model import Tool, ToolCall


@attrs.frozen
class Author:
    """Who wrote the message the model is answering: the one a tool acts for."""

    member_id: str
    name: str


class ToolActions(Protocol):
    @property
    def tools(self) -> Sequence[Tool]:
        """The tools offered to the model with every reply."""
        ...

    async def act(self, call: ToolCall, author: Author, message_id: str) -> str:
        """Carry out the call for `author` (checks and all); return Lukas's answer.

        `message_id` is the message being answered: acting twice for it does nothing new.
        """
        ...
