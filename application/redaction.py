"""Keeps secrets out of anything Lukas writes: logs, events, error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Shapes of the credentials Lukas handles, caught even when their values are unknown here.
_SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_*.-]{8,}|xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}"
    r"|Bearer\s+[A-Za-z0-9._~+/=-]{8,})"
)
REDACTED = "[redacted]"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values would blank out ordinary words; real credentials are long.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _SECRET_SHAPES.sub(REDACTED, text)
