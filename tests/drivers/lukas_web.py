"""`lukas web` as a user starts it: a subprocess on a free port, stopped with SIGTERM. Its
stderr is read all along (a full pipe would stall the server) and kept for the test."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import attrs

from drivers.lukas_cli import LUKAS, clean_environment

_SERVING = re.compile(r"lukas web: serving .* at (http://[^/\s]+)/")


@attrs.define
class WebServer:
    url: str  # ends without a slash
    process: subprocess.Popen[str]
    first_line: str  # the line saying how it serves
    _lines: list[str]

    @property
    def stderr(self) -> str:
        """Everything it wrote on stderr so far (all of it, once it has stopped)."""
        return "".join(self._lines)


@contextmanager
def lukas_web(db: Path, env: Mapping[str, str], *args: str) -> Iterator[WebServer]:
    process = subprocess.Popen(
        [str(LUKAS), "web", "--db", str(db), "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(env),
        cwd=db.parent,
    )
    lines: list[str] = []
    serving: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if not serving and _SERVING.search(line):
                serving.append(line)
                started.set()
        started.set()  # ended without serving: the test is told below

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        started.wait(timeout=30)
        assert serving, f"lukas web did not start: {''.join(lines)}"
        found = _SERVING.search(serving[0])
        assert found
        yield WebServer(found.group(1), process, serving[0], lines)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
