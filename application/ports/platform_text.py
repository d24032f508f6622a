"""The chat platform's markup port: what a message says, as the model and the request
parser should read it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import attrs


@attrs.frozen
class ReadText:
    plain: str  # for the model: people by name, markup gone
    for_requests: str  # for the parser: people and channels by the platform's ids


class PlatformText(Protocol):
    async def read(self, text: str, name_of: Callable[[str], Awaitable[str]]) -> ReadText:
        """`text` as delivered, read; `name_of` gives a person's name by their id."""
        ...
