"""`lukas console` at a real terminal: a pseudo-terminal, keys sent as a keyboard sends them.

The console is the controlling terminal's foreground program, so Ctrl-C (\\x03) reaches it
as SIGINT from the terminal driver, as it would from a person.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import select
import struct
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drivers.lukas_cli import LUKAS, clean_environment
from standins.openai_server import OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

LEFT = b"\x1b[D"
UP = b"\x1b[A"
CTRL_C = b"\x03"
CTRL_D = b"\x04"
PROMPT = b"you> "


class Terminal:
    """The child's terminal, seen from the keyboard and screen side."""

    def __init__(self, master: int, pid: int) -> None:
        self.master = master
        self.pid = pid
        self.screen = b""  # everything written to the terminal so far
        self.status: int | None = None  # the exit status, once the child ended

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait_for(self, text: bytes, *, after: int = 0, timeout: float = 30) -> int:
        """Where `text` ends on the screen, once it appears after offset `after`."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, after)) < 0:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} never appeared; the screen: {self.screen!r}"
            self._read(remaining)
        return found + len(text)

    def exit_status(self, *, timeout: float) -> int | None:
        """The exit status once the child ends within `timeout` seconds; None if it did not."""
        deadline = time.monotonic() + timeout
        while self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(status)
                self._read(0.1)
            elif time.monotonic() >= deadline:
                break
            else:
                self._read(0.02)
        return self.status

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.screen += os.read(self.master, 65536)
            except OSError:  # the child closed its side
                time.sleep(min(timeout, 0.02))


@pytest.fixture
def terminal(openai_standin: OpenAIStandIn, tmp_path: Path) -> Iterator[Terminal]:
    env = clean_environment(
        {
            "OPENAI_API_KEY": "sk-test-terminal-0123456789",
            "LUKAS_LLM_API_BASE": openai_standin.base_url,
            "LUKAS_DB": str(tmp_path / "lukas.db"),
            "TERM": "xterm",
        }
    )
    pid, master = pty.fork()
    if pid == 0:  # the child: its terminal is the pty, as a shell's child's would be
        try:
            os.chdir(tmp_path)
            # subprocess cannot make the pty the child's controlling terminal; pty.fork does.
            os.execve(LUKAS, [str(LUKAS), "console"], env)  # noqa: S606
        finally:
            os._exit(127)
    # Wide enough that no line wraps, so what was typed reads back in one piece.
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
    term = Terminal(master, pid)
    try:
        yield term
    finally:
        if term.status is None and term.exit_status(timeout=0) is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(master)


def last_said(standin: OpenAIStandIn, count: int) -> str:
    requests = standin.wait_for_requests(count, timeout=30)
    assert len(requests) == count
    return str(requests[-1].messages[-1]["content"])


def test_left_arrow_edits_the_line_up_recalls_it_and_ctrl_c_leaves_at_once(
    terminal: Terminal, openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("First reply"), Reply("Second reply"))
    me = getpass.getuser()
    at = terminal.wait_for(PROMPT)

    terminal.type(b"helo there" + LEFT * 7 + b"l\r")
    assert last_said(openai_standin, 1) == f"{me}: hello there"
    at = terminal.wait_for(b"Lukas: First reply", after=at)
    at = terminal.wait_for(PROMPT, after=at)

    terminal.type(UP + b"!\r")  # the line before, from this session's history
    assert last_said(openai_standin, 2) == f"{me}: hello there!"
    at = terminal.wait_for(b"Lukas: Second reply", after=at)
    at = terminal.wait_for(PROMPT, after=at)

    terminal.type(b"half typed")
    terminal.wait_for(b"half typed", after=at)
    pressed = time.monotonic()
    terminal.type(CTRL_C)
    status = terminal.exit_status(timeout=1.0)
    assert status == 130, f"status {status} after {time.monotonic() - pressed:.2f}s"
    assert terminal.screen.endswith(b"\r\n"), terminal.screen[-80:]
    assert len(openai_standin.chat_requests()) == 2  # the half-typed line was not sent


def test_ctrl_d_at_an_empty_prompt_leaves_cleanly(terminal: Terminal) -> None:
    terminal.wait_for(PROMPT)
    terminal.type(CTRL_D)
    assert terminal.exit_status(timeout=10) == 0
    assert terminal.screen.endswith(b"\r\n"), terminal.screen[-80:]


def test_a_reminder_is_printed_above_the_prompt_and_the_typed_line_is_kept(
    terminal: Terminal, openai_standin: OpenAIStandIn
) -> None:
    me = getpass.getuser()
    at = terminal.wait_for(PROMPT)
    terminal.type(b"/remind me in 0.05 minutes to stretch\r")  # three seconds from now
    at = terminal.wait_for(b"Lukas: Okay! I'll remind you", after=at)
    at = terminal.wait_for(PROMPT, after=at)
    terminal.type(b"abcdef" + LEFT * 3)
    at = terminal.wait_for(b"abcdef", after=at)

    at = terminal.wait_for(b"Reminder: stretch", after=at, timeout=30)
    # The prompt comes back below the reminder with the text typed so far.
    at = terminal.wait_for(PROMPT + b"abcdef", after=at)
    terminal.type(b"X\r")  # the cursor stayed where it was, three from the end

    assert last_said(openai_standin, 1) == f"{me}: abcXdef"
