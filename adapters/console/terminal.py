"""Lines typed at a terminal, or piped in, as an async stream.

At a terminal the line is read with GNU readline (editing, and history for this session, in
memory only), in a daemon thread of its own: a thread blocked in readline cannot be woken,
and a pool thread would keep the process alive after Ctrl-C until the next key. When the
program leaves while that thread still waits, `close` puts the terminal back the way it was.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from types import ModuleType, TracebackType
from typing import Any, TextIO

import anyio
import anyio.from_thread
import anyio.lowlevel

# Leave bracketed-paste mode, which readline turns on while it reads; harmless when off.
_BRACKETED_PASTE_OFF = "\x1b[?2004l"
# Back to the start of the line and clear it, where the prompt and the typed text were.
_CLEAR_LINE = "\r\x1b[K"


class TerminalInput:
    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool,
        out: TextIO | None = None,
        prompt: str = "you> ",
    ) -> None:
        self._stream = stream
        self._out = out
        self._interactive = interactive
        self._prompt = prompt
        self._lock = threading.Lock()
        self._waiting = False  # a prompt is on the screen and readline owns the line
        self._readline: ModuleType | None = None
        self._forced_redisplay: Callable[[], None] | None = None
        self._saved_mode: list[Any] | None = None  # termios attributes, as tcgetattr gives them
        if interactive:
            self._start_readline()

    def __enter__(self) -> TerminalInput:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def lines(self) -> AsyncIterator[str]:
        """Each line without its newline, until end of input (Ctrl-D at a terminal)."""
        while True:
            if self._interactive:
                line = await self._read_at_terminal()
            else:
                line = await anyio.to_thread.run_sync(self._read_piped, abandon_on_cancel=True)
            if line is None:
                return
            yield line

    def show(self, stream: TextIO, text: str) -> None:
        """Write `text` (ending in a newline) above the prompt, then draw the prompt again with
        what was typed so far. Without a prompt on the screen, just write it."""
        with self._lock:
            if not self._waiting or self._out is None:
                stream.write(text)
                stream.flush()
                return
            self._out.write(_CLEAR_LINE)
            self._out.flush()
            stream.write(text)
            stream.flush()
            self._redraw()

    def close(self) -> None:
        """If a read is still waiting (Ctrl-C at the prompt), give the terminal back in the
        mode it had and start the shell's prompt on a line of its own."""
        with self._lock:
            if not self._waiting:
                return
            self._waiting = False
            if self._saved_mode is not None:
                import termios

                # When the terminal is gone there is nothing to give back.
                with contextlib.suppress(OSError, termios.error):
                    termios.tcsetattr(self._stream.fileno(), termios.TCSANOW, self._saved_mode)
            if self._out is not None:
                self._out.write(_BRACKETED_PASTE_OFF + "\n")
                self._out.flush()

    def _start_readline(self) -> None:
        try:
            import readline  # importing it is what gives input() line editing and history
        except ImportError:  # a Python built without it: plain input() still works
            return
        self._readline = readline
        self._forced_redisplay = _forced_redisplay(readline)
        try:
            import termios

            self._saved_mode = termios.tcgetattr(self._stream.fileno())
        except (ImportError, OSError, ValueError):
            self._saved_mode = None

    def _redraw(self) -> None:
        """The prompt and the typed text again, with the cursor where it was."""
        assert self._out is not None
        forced = self._forced_redisplay
        if forced is not None:
            # readline knows the cursor's place in the line; ask it to draw the line anew.
            self._out.flush()
            forced()
            return
        buffer = self._readline.get_line_buffer() if self._readline is not None else ""
        self._out.write(self._prompt + buffer)
        self._out.flush()

    async def _read_at_terminal(self) -> str | None:
        token = anyio.lowlevel.current_token()
        read = anyio.Event()
        outcome: list[str | BaseException | None] = []

        def reader() -> None:
            try:
                outcome.append(self._prompted_input())
            except BaseException as error:  # handed to the reading task, raised there
                outcome.append(error)
            # After Ctrl-C the program has left and nobody waits for this line.
            with contextlib.suppress(RuntimeError):
                anyio.from_thread.run_sync(read.set, token=token)

        threading.Thread(target=reader, name="console input", daemon=True).start()
        await read.wait()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _prompted_input(self) -> str | None:
        with self._lock:
            self._waiting = True
        try:
            return input(self._prompt)
        except EOFError:
            if self._out is not None:
                self._out.write("\n")  # Ctrl-D: the shell's prompt starts on a fresh line
                self._out.flush()
            return None
        finally:
            with self._lock:
                self._waiting = False

    def _read_piped(self) -> str | None:
        line = self._stream.readline()
        return line.rstrip("\r\n") if line else None


def _forced_redisplay(readline: ModuleType | None) -> Callable[[], None] | None:
    """GNU readline's rl_forced_update_display, which the readline module does not offer;
    None with libedit or no readline."""
    if readline is None or "GNU" not in (readline.__doc__ or ""):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(readline.__file__).rl_forced_update_display
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = []

    def redisplay() -> None:
        function()

    return redisplay
