"""`lukas web` as a user starts it: a subprocess on a free port, stopped with SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import attrs

from drivers.lukas_cli import LUKAS, clean_environment


@attrs.frozen
class WebServer:
    url: str  # ends without a slash
    process: subprocess.Popen[str]
    first_line: str


@contextmanager
def lukas_web(db: Path, env: Mapping[str, str], *args: str) -> Iterator[WebServer]:
    process = subprocess.Popen(
        [str(LUKAS), "web", "--db", str(db), "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(env),
        cwd=db.parent,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = re.search(r"at (http://[^/\s]+)/", first)
        assert found, f"lukas web did not start: {first}{process.stderr.read()}"
        yield WebServer(found.group(1), process, first)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
