"""The pages that only read the log: the timeline (and its live rows), conversations with
the context of each reply, pictures, usage, reminders and the people on the roster."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.conversation_key import ConversationKey, InvalidConversationKeyError
from lukas.entrypoints.db_location import beside
from lukas.entrypoints.web.auth import COOKIE, Session
from lukas.entrypoints.web.guard import admin_page
from lukas.entrypoints.web.live import LiveRows
from lukas.entrypoints.web.site import site_of
from lukas.entrypoints.web.usage_charts import usage_charts
from lukas.entrypoints.web.views import exchanges, timeline_row, with_feedback

TIMELINE_ROWS = 200


@admin_page
async def timeline(request: Request, session: Session) -> Response:
    site = site_of(request)
    store = await site.log.store()
    _, last = await site.log.statistics()  # folded to the log's end: where the log ends
    recent = await store.read_all(max(last - TIMELINE_ROWS, 0), last)
    rows = [timeline_row(r, site.zone) for r in reversed(recent)]
    return site.page(request, "timeline.html", session, rows=rows, last=last, nav="timeline")


async def live(request: Request) -> Response | LiveRows:
    """The timeline's new rows as server-sent events; for admins only, like the pages."""
    site = site_of(request)
    session = request.app.state.gate.sessions.find(request.cookies.get(COOKIE))
    if session is None or session.admin is None:
        return PlainTextResponse("Sign in first.", status_code=401)
    after_text = request.headers.get("last-event-id") or request.query_params.get("after", "")
    if not after_text.isdigit():
        return PlainTextResponse("after: a position is a whole number", status_code=400)
    store = await site.log.store()
    row = site.templates.get_template("_row.html")

    def render(recorded: RecordedEvent) -> str:
        return row.render(row=timeline_row(recorded, site.zone))

    return LiveRows(store, int(after_text), render)


@admin_page
async def conversations(request: Request, session: Session) -> Response:
    site = site_of(request)
    listed = sorted(
        (await site.log.conversations()).values(), key=lambda s: s.last_position, reverse=True
    )
    return site.page(
        request, "conversations.html", session, conversations=listed, nav="conversations"
    )


@admin_page
async def conversation(request: Request, session: Session) -> Response:
    site = site_of(request)
    try:
        key = ConversationKey(request.path_params["key"])
    except InvalidConversationKeyError as error:
        return site.page(
            request, "error.html", session, 404, title="No such conversation", detail=str(error)
        )
    store = await site.log.store()
    events = await store.read_stream(key.stream_id)
    if not events:
        return site.page(
            request,
            "error.html",
            session,
            404,
            title="No such conversation",
            detail=f"The log has no conversation {key}.",
        )
    builder = site.builder()
    before = request.query_params.get("before", "")
    shown = exchanges(events, builder, site.zone, before=int(before) if before.isdigit() else None)
    await with_feedback(store, shown.shown)
    return site.page(
        request,
        "conversation.html",
        session,
        key=str(key),
        exchanges=shown.shown,
        earlier=shown.earlier,
        limits=builder.limits,
        nav="conversations",
    )


@admin_page
async def pictures(request: Request, session: Session) -> Response:
    site = site_of(request)
    gallery = list((await site.log.pictures()).values())
    gallery.reverse()
    return site.page(request, "pictures.html", session, pictures=gallery, nav="pictures")


@admin_page
async def picture_file(request: Request, session: Session) -> Response:
    """A picture's bytes, only for a picture the log names, and only from the pictures
    folder beside the log (by the file's name: a log moved with its folder still shows)."""
    site = site_of(request)
    picture = (await site.log.pictures()).get(request.path_params["stream"])
    if picture is None or picture.generated is None:
        return PlainTextResponse("No such picture.", status_code=404)
    folder = beside(site.log.db, ".pictures")
    path = folder / Path(picture.generated.file).name
    if not path.is_file():
        return PlainTextResponse("The picture's file is not in the pictures folder.", 404)
    return FileResponse(path)


@admin_page
async def usage(request: Request, session: Session) -> Response:
    site = site_of(request)
    (stats, engagement), _ = await site.log.statistics()
    return site.page(
        request,
        "usage.html",
        session,
        charts=usage_charts(stats, engagement),
        rows=sorted(stats.items()),
        engagement=engagement,
        total_cost=sum(row.cost_usd for row in stats.values()),
        nav="usage",
    )


@admin_page
async def reminders(request: Request, session: Session) -> Response:
    site = site_of(request)
    book = await site.log.reminders()
    waiting = sorted(book.waiting.values(), key=lambda r: r.due)
    every = sorted(
        (
            (dt.datetime.fromisoformat(r.due).astimezone(site.zone), r)
            for mine in book.by_owner.values()
            for r in mine.values()
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return site.page(
        request,
        "reminders.html",
        session,
        waiting=waiting,
        every=every,
        still_waiting={r.set.reminder_id for r in waiting},
        zone=site.zone,
        nav="reminders",
    )


@admin_page
async def people(request: Request, session: Session) -> Response:
    site = site_of(request)
    roster = await site.log.roster()
    admins = set(site.loaded.config.admin_users)
    return site.page(
        request,
        "people.html",
        session,
        members=list(roster.values()),
        admins=admins,
        nav="people",
    )
