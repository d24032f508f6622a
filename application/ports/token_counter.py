"""Token estimates for the context window, computed once when an event is made."""

from __future__ import annotations

from typing import Protocol


class TokenCounter(Protocol):
    @property
    def encoding_name(self) -> str: ...

    def count(self, text: str) -> int: ...
