"""Which words in an event are personal, and whose they are (ADR 27).

The log never changes, so a person is forgotten by destroying the key their words were
sealed with. This module says, for every event type, which fields carry what a person said
or what was said to them (texts, names, reminders, picture words, request arguments) and
whom they belong to. Everything else (types, ids, times, models, usage, draws) stays in the
clear, so replay, stats and the rules still work on a forgotten person's events.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from lukas.domain.events import (
    AnnouncementFailed,
    AnnouncementPosted,
    CheckInOpened,
    CheckInWritten,
    DomainEvent,
    ImageGenerated,
    ImageRequested,
    InboundReceived,
    MemberJoined,
    MemberUpdated,
    MessageReceived,
    PersonNamed,
    ReminderSet,
    ReplyFailed,
    ReplyGenerated,
    RequestDeclined,
)
from lukas.domain.requests import (
    DrawPicture,
    ForgetPerson,
    PersonRef,
    PostAnnouncement,
    Request,
    SetReminder,
    Unclear,
)
from lukas.domain.routing import Route


class Forgotten(str):
    """What a personal field reads as once its key is gone. A str, so every reader shows
    it as it is; a type of its own, so the context can leave it out without mistaking a
    person who typed the same words for a forgotten one."""

    __slots__ = ()


FORGOTTEN = Forgotten("[forgotten]")

# (field path, value) -> the value to put there instead. Paths name nested fields with
# dots ("route.request.text") and are bound into each sealed value, so a sealed value
# cannot be moved to another field or event.
Change = Callable[[str, str], str]


def is_forgotten(text: str | None) -> bool:
    return isinstance(text, Forgotten)


def owner_of(event: DomainEvent) -> str | None:
    """Whose data the event's personal fields are; None: it holds none of anyone's."""
    match event:
        case MessageReceived() | InboundReceived():
            return event.author_id
        case ReplyGenerated() | ReplyFailed():
            return event.person_id
        case PersonNamed():
            return event.person_id
        case MemberJoined() | MemberUpdated() | CheckInWritten() | CheckInOpened():
            return event.member_id
        case ReminderSet():
            return event.owner
        case AnnouncementPosted() | AnnouncementFailed():
            return event.by
        case ImageRequested() | ImageGenerated() | RequestDeclined():
            return event.requester
        case _:
            return None


def with_personal(event: DomainEvent, change: Change) -> DomainEvent:
    """The event with each of its personal fields replaced by `change(path, value)`; the
    event itself when it has none (or no owner to seal them for)."""
    if owner_of(event) is None:
        return event
    match event:
        case MessageReceived():
            return attrs.evolve(
                event,
                author_name=change("author_name", event.author_name),
                text=change("text", event.text),
                route=_route(event.route, change),
            )
        case InboundReceived() | CheckInOpened() | AnnouncementPosted() | AnnouncementFailed():
            return attrs.evolve(event, text=change("text", event.text))
        case ReplyGenerated():
            return attrs.evolve(event, text=change("text", event.text))
        case ReplyFailed():
            return attrs.evolve(event, fallback_text=change("fallback_text", event.fallback_text))
        case _:
            return _about_people(event, change)


def _about_people(event: DomainEvent, change: Change) -> DomainEvent:
    match event:
        case PersonNamed():
            return attrs.evolve(event, display_name=change("display_name", event.display_name))
        case MemberJoined() | MemberUpdated():
            name, real_name = change("name", event.name), change("real_name", event.real_name)
            return attrs.evolve(event, name=name, real_name=real_name)
        case CheckInWritten():
            return attrs.evolve(
                event,
                member_name=change("member_name", event.member_name),
                text=change("text", event.text),
            )
        case ReminderSet():
            return attrs.evolve(
                event,
                owner_name=change("owner_name", event.owner_name),
                target_name=change("target_name", event.target_name),
                text=change("text", event.text),
            )
        case ImageRequested():
            return attrs.evolve(
                event,
                prompt=change("prompt", event.prompt),
                theme=_optional("theme", event.theme, change),
                occasion=_optional("occasion", event.occasion, change),
            )
        case ImageGenerated():
            return attrs.evolve(
                event,
                caption=change("caption", event.caption),
                revised_prompt=_optional("revised_prompt", event.revised_prompt, change),
            )
        case RequestDeclined():
            return attrs.evolve(event, request=change("request", event.request))
        case _:
            return event


def _route(route: Route, change: Change) -> Route:
    request = route.request
    if request is None:
        return route
    changed = _request(request, lambda path, value: change(f"route.request.{path}", value))
    return route if changed is request else attrs.evolve(route, request=changed)


def _request(request: Request, change: Change) -> Request:
    match request:
        case PostAnnouncement() | SetReminder():
            return attrs.evolve(request, text=change("text", request.text))
        case DrawPicture():
            return attrs.evolve(
                request,
                theme=_optional("theme", request.theme, change),
                occasion=_optional("occasion", request.occasion, change),
            )
        case Unclear():
            return attrs.evolve(request, problem=change("problem", request.problem))
        case ForgetPerson(target=PersonRef() as person):
            # Whom to forget, as typed: a name is that person's, whoever asked.
            named = attrs.evolve(person, ref=change("target.ref", person.ref))
            return attrs.evolve(request, target=named)
        case _:
            return request


def _optional(path: str, value: str | None, change: Change) -> str | None:
    return None if value is None else change(path, value)
