"""Signing in with LUKAS_WEB_TOKEN, and out. The token is compared in constant time, a
failure waits (longer after each, see auth.SignInThrottle), and the token is never put on a
page, in a log line or in a redirect."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lukas.entrypoints.web.auth import COOKIE, SIGNED_IN_ADMIN, same_secret
from lukas.entrypoints.web.guard import set_session_cookie
from lukas.entrypoints.web.site import site_of


async def signin_page(request: Request) -> Response:
    site = site_of(request)
    gate = request.app.state.gate
    session_id, session, new = gate.session_of(request)
    if session.admin is not None:
        response: Response = RedirectResponse("/", status_code=303)
    else:
        response = site.page(request, "signin.html", session)
    if new:
        set_session_cookie(request, response, session_id)
    return response


async def sign_in(request: Request) -> Response:
    site = site_of(request)
    gate = request.app.state.gate
    session = gate.sessions.find(request.cookies.get(COOKIE))
    form = await request.form()
    csrf, token = form.get("csrf"), form.get("token")
    if session is None or not isinstance(csrf, str) or not same_secret(csrf, session.csrf):
        session_id, fresh, new = gate.session_of(request)
        refused = site.page(
            request,
            "signin.html",
            fresh,
            403,
            error="The sign-in form was stale; it has been loaded again, try once more.",
        )
        if new:
            set_session_cookie(request, refused, session_id)
        return refused
    if site.token is None or not isinstance(token, str) or not same_secret(token, site.token):
        await site.throttle.failed()
        return site.page(request, "signin.html", session, 403, error="That is not the token.")
    gate.sessions.end(request.cookies.get(COOKIE))
    new_id, _ = gate.sessions.start(SIGNED_IN_ADMIN)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, new_id)
    return response


async def sign_out(request: Request) -> Response:
    gate = request.app.state.gate
    session = gate.sessions.find(request.cookies.get(COOKIE))
    form = await request.form()
    csrf = form.get("csrf")
    if session is None or not isinstance(csrf, str) or not same_secret(csrf, session.csrf):
        return RedirectResponse("/signin", status_code=303)
    gate.sessions.end(request.cookies.get(COOKIE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
