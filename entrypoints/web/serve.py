"""`lukas web`: checks that the page may be served where it was asked to be, says how it is
served, and runs the app under uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Mapping
from types import FrameType

import uvicorn

from lukas.entrypoints.config import ConfigError, LoadedConfig
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.pictures import timezone_of
from lukas.entrypoints.web.auth import SignInThrottle, WebTokenError, checked_token
from lukas.entrypoints.web.guard import LOOPBACK_NAMES

# Open SSE streams never end by themselves; a stop waits this long for them.
_STOP_SECONDS = 2


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn raises a caught signal again once it has shut down; SIGTERM is how
        # services are stopped, and a stop that went as asked ends with status 0. Ctrl-C
        # still ends as Ctrl-C does everywhere in Lukas (130).
        if sig == signal.SIGTERM and sig in self._captured_signals:
            self._captured_signals.remove(sig)


def sign_in_token(environ: Mapping[str, str]) -> str | None:
    try:
        return checked_token(environ.get("LUKAS_WEB_TOKEN"))
    except WebTokenError as error:
        raise ConfigError(str(error)) from None


def refuse_if_open_to_others(host: str, token: str | None) -> None:
    if token is None and host not in LOOPBACK_NAMES:
        raise ConfigError(
            f"--host {host} without sign-in would show the team's talk to anyone who can"
            " reach it: set LUKAS_WEB_TOKEN (16 characters or more) to serve beyond this"
            " machine, or leave --host at 127.0.0.1"
        )


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound here, not by uvicorn, so a port in use is one line, and port 0 names the port
    it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    listener.listen(128)
    listener.setblocking(False)
    return listener


async def run_web(
    loaded: LoadedConfig, db: Location, environ: Mapping[str, str], *, host: str, port: int
) -> int:
    token = sign_in_token(environ)
    refuse_if_open_to_others(host, token)
    zone = timezone_of(loaded.config)
    from lukas.entrypoints.web.app import create_app
    from lukas.entrypoints.web.site import Site
    from lukas.entrypoints.web.team_log import TeamLog

    listener = _listening_socket(host, port)
    bound_port = listener.getsockname()[1]
    site = Site(loaded, TeamLog(db), zone, token, SignInThrottle())
    app = create_app(site, loopback_only=token is None)
    shown_host = f"[{host}]" if ":" in host else host
    how = (
        "admins sign in with LUKAS_WEB_TOKEN"
        if token
        else "no sign-in (LUKAS_WEB_TOKEN is not set): open to whoever is on this machine,"
        " and only here"
    )
    print(
        f"lukas web: serving {db} at http://{shown_host}:{bound_port}/; {how}. Ctrl-C stops.",
        file=sys.stderr,
        flush=True,
    )
    server = _Server(
        uvicorn.Config(
            app,
            log_config=None,  # our logging, which redacts secrets, handles uvicorn's too
            access_log=False,
            timeout_graceful_shutdown=_STOP_SECONDS,
            proxy_headers=True,  # X-Forwarded-Proto from a local proxy: Secure cookies
        )
    )
    await server.serve(sockets=[listener])
    return 0
