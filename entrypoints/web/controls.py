"""The page's only writes: settings changed as ConfigurationChanged events by the signed-in
admin, through the same settings table and rules as in chat (ADR 12, 15), and pause and
resume as in `lukas pause` and `lukas resume`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lukas.adapters.system_clock import SystemClock
from lukas.application.live_settings import LiveSettings, SettingRejected, validated
from lukas.application.proactive import ProactiveSwitch
from lukas.domain.settings import LIVE_SETTINGS
from lukas.entrypoints.config import ConfigError
from lukas.entrypoints.effective_settings import changes_in, setting_rows
from lukas.entrypoints.pause_end import pause_end
from lukas.entrypoints.times import in_words
from lukas.entrypoints.tunables import tunables
from lukas.entrypoints.web.auth import Session
from lukas.entrypoints.web.guard import admin_form, admin_page
from lukas.entrypoints.web.site import site_of


async def _settings_page(
    request: Request,
    session: Session,
    *,
    errors: Mapping[str, str] | None = None,
    given: Mapping[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    site = site_of(request)
    store = await site.log.store()
    rows = setting_rows(site.loaded, await changes_in(store, site.loaded))
    paused = await ProactiveSwitch(store, SystemClock()).paused_until()
    return site.page(
        request,
        "settings.html",
        session,
        status_code,
        rows=rows,
        errors=errors or {},
        given=given or {},
        notice=notice or _notice(request.query_params.get("done", "")),
        paused=_pause_in_words(paused, site.zone),
        nav="settings",
    )


# The notices a redirect after a post may ask for, by code: a link cannot put its own words
# on the page.
_NOTICES = {"paused": "Paused.", "resumed": "Resumed.", "nothing": "Nothing changed."}
_LIVE_ENVS = {s.env for s in LIVE_SETTINGS}


def _notice(done: str) -> str | None:
    if done in _NOTICES:
        return _NOTICES[done]
    changed = [env for env in done.split(",") if env in _LIVE_ENVS]
    return f"Changed {', '.join(changed)}." if changed else None


def _pause_in_words(until: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    if until is None:
        return None
    if until.year == dt.MAXYEAR:  # paused "until resumed"
        return "until resumed"
    return f"until {in_words(until, zone)}"


@admin_page
async def settings(request: Request, session: Session) -> Response:
    return await _settings_page(request, session)


@admin_form
async def change_settings(request: Request, session: Session) -> Response:
    """Every field is checked first; nothing is recorded unless all of them can be used."""
    site = site_of(request)
    form = await request.form()
    given = {s.env: str(form.get(s.env, "")) for s in LIVE_SETTINGS if s.env in form}
    errors: dict[str, str] = {}
    for setting in LIVE_SETTINGS:
        if setting.env in given:
            try:
                validated(setting.key, given[setting.env])
            except SettingRejected as error:
                errors[setting.env] = error.reason
    if errors:
        return await _settings_page(request, session, errors=errors, given=given, status_code=400)
    store = await site.log.store()
    live = LiveSettings(store, tunables(site.loaded.config))
    changed = []
    for setting in LIVE_SETTINGS:
        if setting.env in given:
            try:
                recorded = await live.change(setting.key, given[setting.env], session.admin or "")
            except SettingRejected as error:
                errors[setting.env] = error.reason
                continue
            if recorded is not None:
                changed.append(setting.env)
    if errors:
        return await _settings_page(request, session, errors=errors, given=given, status_code=409)
    done = ",".join(changed) or "nothing"
    return RedirectResponse(f"/settings?done={done}", status_code=303)


@admin_form
async def pause(request: Request, session: Session) -> Response:
    site = site_of(request)
    form = await request.form()
    text = str(form.get("until", "")).strip()
    clock = SystemClock()
    try:
        until = pause_end(text, clock.now(), site.zone) if text else None
    except ConfigError as error:
        return await _settings_page(request, session, errors={"until": str(error)}, status_code=400)
    await ProactiveSwitch(await site.log.store(), clock).pause(session.admin or "", until)
    return RedirectResponse("/settings?done=paused", status_code=303)


@admin_form
async def resume(request: Request, session: Session) -> Response:
    site = site_of(request)
    await ProactiveSwitch(await site.log.store(), SystemClock()).resume(session.admin or "")
    return RedirectResponse("/settings?done=resumed", status_code=303)
