"""Who may see the web page: sessions, the sign-in token, CSRF tokens, slowed failures.

Sessions live in this process's memory, keyed by a random cookie: nothing about them is
written anywhere, and a restart signs everyone out. Every visitor gets a session at once
(its CSRF token protects the sign-in form too); signing in replaces it with a new one, so a
cookie planted before sign-in is worth nothing after it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

import anyio
import attrs

COOKIE = "lukas_session"
# Without sign-in configured, whoever is on the machine is the admin, under this name.
LOCAL_ADMIN = "web:local"
SIGNED_IN_ADMIN = "web:admin"
SHORTEST_TOKEN = 16
# Enough for every tab of a team's admins; past it the oldest sessions are forgotten, so
# a flood of cookie-less requests cannot fill the memory.
_MOST_SESSIONS = 2_000
_SESSION_HOURS = 12


class WebTokenError(ValueError):
    """LUKAS_WEB_TOKEN cannot be used; the message never holds its value."""


def checked_token(token: str | None) -> str | None:
    """The sign-in token, None when none is set; WebTokenError if it is too weak."""
    if not token:
        return None
    if len(token) < SHORTEST_TOKEN or token.strip() != token:
        raise WebTokenError(
            f"LUKAS_WEB_TOKEN must be at least {SHORTEST_TOKEN} characters without surrounding"
            " spaces (e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    return token


@attrs.define
class Session:
    csrf: str
    admin: str | None  # who signed in; None: nobody yet
    expires: float


class Sessions:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, most: int = _MOST_SESSIONS
    ) -> None:
        self._clock = clock
        self._most = most
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def find(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is None:
            return None
        if session.expires < self._clock():
            del self._by_id[session_id]
            return None
        return session

    def start(self, admin: str | None) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(
            csrf=secrets.token_urlsafe(32),
            admin=admin,
            expires=self._clock() + _SESSION_HOURS * 3600,
        )
        self._by_id[session_id] = session
        if len(self._by_id) > self._most:
            self._forget_one()
        return session_id, session

    def _forget_one(self) -> None:
        """The oldest session nobody signed in to, else the oldest: visitors who never
        sign in (or a flood of requests without a cookie) do not sign admins out."""
        anonymous = next((k for k, s in self._by_id.items() if s.admin is None), None)
        if anonymous is not None:
            del self._by_id[anonymous]
        else:
            self._by_id.popitem(last=False)

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)


def same_secret(given: str, expected: str) -> bool:
    """Compared in constant time, whatever the lengths."""
    return hmac.compare_digest(given.encode(), expected.encode())


class SignInThrottle:
    """Each failed sign-in waits longer than the one before it (doubling, up to `longest`
    seconds), one at a time: guessing the token costs time however many connections try.
    Failures older than `forget_after` seconds no longer count."""

    def __init__(
        self,
        first_wait: float = 1.0,
        longest: float = 30.0,
        forget_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first_wait = first_wait
        self._longest = longest
        self._forget_after = forget_after
        self._clock = clock
        self._failures: list[float] = []
        self._one_at_a_time = anyio.Lock()

    def wait_for(self, failures: int) -> float:
        doubled: float = self._first_wait * 2.0 ** max(failures - 1, 0)
        return min(doubled, self._longest)

    async def failed(self) -> None:
        async with self._one_at_a_time:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self._forget_after]
            self._failures.append(now)
            await anyio.sleep(self.wait_for(len(self._failures)))
