"""The gate in front of every page: a session for each visitor, admins only past it, a CSRF
token on every form post, and headers that keep the pages from being framed or from
loading anything but their own files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lukas.entrypoints.web.auth import COOKIE, LOCAL_ADMIN, Session, Sessions, same_secret

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        b" connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Gate:
    def __init__(self, sessions: Sessions, *, token_set: bool) -> None:
        self.sessions = sessions
        # Without a token, whoever reaches the page on this machine is the admin.
        self.open = not token_set

    def session_of(self, request: Request) -> tuple[str, Session, bool]:
        """The visitor's session, and whether it is new (its cookie must then be set)."""
        session_id = request.cookies.get(COOKIE)
        session = self.sessions.find(session_id)
        if session_id is not None and session is not None:
            return session_id, session, False
        new_id, new = self.sessions.start(LOCAL_ADMIN if self.open else None)
        return new_id, new, True


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


Handler = Callable[[Request, Session], Awaitable[Response]]


def admin_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page for admins: anyone else is sent to the sign-in page."""

    async def page(request: Request) -> Response:
        gate: Gate = request.app.state.gate
        session_id, session, new = gate.session_of(request)
        if session.admin is None:
            response: Response = RedirectResponse("/signin", status_code=303)
        else:
            response = await handler(request, session)
        if new:
            set_session_cookie(request, response, session_id)
        return response

    return page


def admin_form(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A form post by an admin whose CSRF token matches their session's; refused otherwise."""

    async def post(request: Request) -> Response:
        gate: Gate = request.app.state.gate
        session = gate.sessions.find(request.cookies.get(COOKIE))
        if session is None or session.admin is None:
            return PlainTextResponse("Refused: sign in first.", status_code=403)
        form = await request.form()
        given = form.get("csrf")
        if not isinstance(given, str) or not same_secret(given, session.csrf):
            return PlainTextResponse(
                "Refused: the form was stale or not this page's; load the page again.",
                status_code=403,
            )
        return await handler(request, session)

    return post


class PageHeaders:
    """Adds the security headers to every response; with no sign-in configured, answers
    only requests addressed to this machine by name, so a web site that points its own
    name at 127.0.0.1 cannot read the pages through a visitor's browser."""

    def __init__(self, app: ASGIApp, *, loopback_only: bool) -> None:
        self._app = app
        self._loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._loopback_only and Request(scope).url.hostname not in LOOPBACK_NAMES:
            refused = PlainTextResponse(
                "This page answers only at 127.0.0.1 or localhost.", status_code=421
            )
            await refused(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self._app(scope, receive, with_headers)
