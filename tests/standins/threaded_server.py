"""A server on 127.0.0.1 running its own event loop in a daemon thread.

Tests and `lukas` subprocesses reach it over the network while the test's own loop (if any)
stays free. Subclasses serve in `_serve`, set `ready` once listening, and return when
`self._stopping` is set.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Self


class ThreadedServer:
    _name = "standin"

    def __init__(self) -> None:
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the stand-in is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run(sock, ready)),
            name=f"{self._name}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("the stand-in did not start listening")

    def stop(self) -> None:
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        self._thread = self._loop = self._stopping = None

    async def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self._serve(sock, ready)

    async def _until_stopped(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        raise NotImplementedError
