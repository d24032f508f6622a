"""Lines typed at a terminal, or piped in, as an async stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TextIO

import anyio.to_thread


class TerminalInput:
    def __init__(self, stream: TextIO, *, interactive: bool, prompt: str = "you> ") -> None:
        self._stream = stream
        self._interactive = interactive
        self._prompt = prompt

    async def lines(self) -> AsyncIterator[str]:
        """Each line without its newline, until end of input."""
        while True:
            line = await anyio.to_thread.run_sync(self._read_line, abandon_on_cancel=True)
            if line is None:
                return
            yield line

    def _read_line(self) -> str | None:
        if self._interactive:
            try:
                return input(self._prompt)  # input() gives line editing on a terminal
            except EOFError:
                return None
        line = self._stream.readline()
        return line.rstrip("\r\n") if line else None
