"""The web page's ASGI app: its routes, the gate in front of them, and the page for a log
that cannot be read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lukas.application.ports.event_store import EventStoreError
from lukas.entrypoints.web import controls, pages, signin
from lukas.entrypoints.web.auth import COOKIE, Sessions
from lukas.entrypoints.web.guard import Gate, PageHeaders
from lukas.entrypoints.web.site import STATIC, Site, site_of

# Forms here are a few settings; anything much larger is not one of them.
_LARGEST_BODY = 64 * 1024


async def _unreadable_log(request: Request, error: Exception) -> Response:
    site = site_of(request)
    session = request.app.state.gate.sessions.find(request.cookies.get(COOKIE))
    return site.page(
        request,
        "error.html",
        session if session is not None and session.admin is not None else None,
        503,
        title="The event log cannot be read",
        detail=str(error),
    )


def create_app(site: Site, *, loopback_only: bool) -> Starlette:
    """`loopback_only`: no sign-in is configured, so only this machine may be served."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await site.log.close()

    app = Starlette(
        routes=[
            Route("/", pages.timeline),
            Route("/live", pages.live),
            Route("/conversations", pages.conversations),
            Route("/conversations/{key:path}", pages.conversation),
            Route("/pictures", pages.pictures),
            Route("/picture/{stream:path}", pages.picture_file),
            Route("/usage", pages.usage),
            Route("/reminders", pages.reminders),
            Route("/people", pages.people),
            Route("/settings", controls.settings),
            Route("/settings", controls.change_settings, methods=["POST"]),
            Route("/pause", controls.pause, methods=["POST"]),
            Route("/resume", controls.resume, methods=["POST"]),
            Route("/signin", signin.signin_page),
            Route("/signin", signin.sign_in, methods=["POST"]),
            Route("/signout", signin.sign_out, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(PageHeaders, loopback_only=loopback_only)],
        exception_handlers={EventStoreError: _unreadable_log},
        lifespan=lifespan,
        max_body_size=_LARGEST_BODY,
    )
    app.state.site = site
    app.state.gate = Gate(Sessions(), token_set=site.token is not None)
    return app
