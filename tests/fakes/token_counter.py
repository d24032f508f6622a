from __future__ import annotations

import re

# Words and single punctuation marks, roughly the units a real tokenizer splits on, so the
# fake's counts grow with text the way real ones do while staying easy to work out by hand.
_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeTokenCounter:
    """Counts each run of letters or digits as one token and each other visible mark as one.

    "Hello, bear!" is 4 tokens: "Hello", ",", "bear", "!".
    """

    @property
    def encoding_name(self) -> str:
        return "fake-words"

    def count(self, text: str) -> int:
        return len(_TOKEN.findall(text))
