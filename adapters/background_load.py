"""A slow import (an SDK, a token encoding) run once in a background thread, for async code
to wait on when it first needs the result.

The thread is a daemon and is waited on by polling, not joined or run as an anyio worker:
a person who quits while it still runs must not wait for it, and a non-daemon thread would
hold the interpreter open until the import finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import anyio

# How often a waiting task looks again; small beside an import that takes seconds.
_POLL_SECONDS: Final = 0.01


class LoadFailedError(RuntimeError):
    """The load raised; the message names what was loaded and why it failed."""


class BackgroundLoad:
    def __init__(self, what: str, load: Callable[[], object]) -> None:
        self._what = what
        self._load = load
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._error: str | None = None

    def start(self) -> None:
        """Begin loading, unless it has begun; returns at once."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name=f"loading {self._what}", daemon=True
            )
            self._thread.start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def ready(self) -> None:
        """Wait, without blocking the event loop, until the load has finished (starting it if
        nobody has); raises LoadFailedError if it failed."""
        self.start()
        # Polled: the thread belongs to no event loop (it may outlive the one that started
        # it, as in tests), so it cannot set an anyio.Event for whichever loop is waiting.
        while not self._done.is_set():  # noqa: ASYNC110
            await anyio.sleep(_POLL_SECONDS)
        if self._error is not None:
            raise LoadFailedError(self._error)

    def _run(self) -> None:
        try:
            self._load()
        except Exception as error:
            self._error = f"could not load {self._what}: {type(error).__name__}: {error}"
        finally:
            self._done.set()
