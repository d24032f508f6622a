"""Carries out what people ask for, whether the parser or the model understood it.

Every request takes the same path: the permission check, validation, the use case, then
the words Lukas answers with. The permission check is here, in code; no prompt decides
who may change Lukas's settings.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Literal

import attrs

from lukas.application.forgetting import Forgetting
from lukas.application.identity import derive_event_id
from lukas.application.live_settings import LiveSettings, SettingRejected
from lukas.application.make_picture import PictureMaker, PictureOutcome, PictureRequest
from lukas.application.ports.announcements import ChannelNotFound, ChannelPoster, NotInChannel
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.proactive import ProactiveSwitch
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.statistics import Statistics
from lukas.application.requests.declined import record_declined
from lukas.application.requests.forget_requests import ForgetRequests
from lukas.application.requests.help_text import help_text
from lukas.application.requests.reminders import NewReminder, Reminders
from lukas.application.requests.team_info import stats_text, status_text, team_text
from lukas.application.roster import read_roster
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    AnnouncementFailed,
    AnnouncementPosted,
    DomainEvent,
)
from lukas.domain.images import ADMIN_ONLY_PICTURES
from lukas.domain.requests import (
    SETTING_NAMES,
    CancelReminder,
    ChangeSetting,
    ChannelRef,
    ConfirmForgetting,
    DrawPicture,
    ForgetPerson,
    ListReminders,
    Me,
    PauseProactive,
    PersonRef,
    PostAnnouncement,
    Request,
    ResumeProactive,
    SetReminder,
    ShowHelp,
    ShowStats,
    ShowStatus,
    ShowTeam,
    Unclear,
    is_channel_id,
)

log = logging.getLogger(__name__)

_MEMBER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

ADMIN_ONLY = (ChangeSetting, PauseProactive, ResumeProactive, DrawPicture)
NO_PICTURES = "I can't draw here: no image model is set up for me (see the README on pictures). 🐻"
DECLINE = (
    "Sorry, {name}, only Lukas's admins can {what}. 🐻 I've noted that you asked; an admin"
    " can do it for you."
)


@attrs.frozen
class Requester:
    member_id: str
    name: str
    # Where they asked: a picture goes there.
    conversation: ConversationKey | None = None


class RequestDesk:
    def __init__(
        self,
        *,
        store: EventStore,
        statistics: CheckpointedProjection[Statistics],
        clock: Clock,
        admins: frozenset[str],
        settings: LiveSettings,
        switch: ProactiveSwitch,
        reminders: Reminders,
        forgetting: Forgetting,
        channels: ChannelPoster,
        timezone: dt.tzinfo,
        lukas_id: str,
        instance_id: str | None = None,
        pictures: PictureMaker | None = None,
        provider: str | None = None,  # the chat model's name, for the status answer
    ) -> None:
        self._store = store
        self._statistics = statistics
        self._clock = clock
        self._admins = admins
        self._settings = settings
        self._switch = switch
        self._reminders = reminders
        self._forget = ForgetRequests(forgetting)
        self._channels = channels
        self._timezone = timezone
        self._lukas_id = lukas_id
        self._instance_id = instance_id
        self._pictures = pictures  # None: no image model configured
        self._provider = provider

    async def handle(self, request: Request, requester: Requester, request_id: str) -> str:
        """Does what was asked and returns Lukas's answer. Announcements, reminders and
        refusals happen once per `request_id` (the asking message), however often it is
        carried out; a setting asked for again is in force already, and a pause repeated is
        one more harmless event."""
        if isinstance(request, ADMIN_ONLY) and requester.member_id not in self._admins:
            return await self._decline(request, requester, request_id)
        match request:
            case PostAnnouncement():
                return await self._announce(request, requester, request_id)
            case SetReminder():
                return await self._remind(request, requester, request_id)
            case ListReminders():
                return await self._list_reminders(requester)
            case CancelReminder():
                return await self._cancel_reminder(request, requester)
            case ChangeSetting() | PauseProactive() | ResumeProactive():
                return await self._administer(request, requester)
            case DrawPicture():
                return await self._draw(request, requester, request_id)
            case ForgetPerson():
                return await self._ask_to_forget(request, requester, request_id)
            case ConfirmForgetting():
                return await self._confirm_forgetting(requester, request_id)
            case ShowTeam() | ShowStatus() | ShowStats() | ShowHelp() | Unclear():
                return await self._inform(request)

    async def _inform(self, request: ShowTeam | ShowStatus | ShowStats | ShowHelp | Unclear) -> str:
        match request:
            case ShowTeam():
                return await team_text(self._store, self._admins, self._lukas_id)
            case ShowStatus():
                return await status_text(
                    self._store,
                    self._settings,
                    self._switch,
                    self._timezone,
                    provider=self._provider,
                )
            case ShowStats():
                return await stats_text(self._statistics)
            case ShowHelp():
                return help_text(request.topic)
            case Unclear():
                return f'{request.problem} (Say "help {request.topic}" for examples.)'

    async def _administer(
        self, request: ChangeSetting | PauseProactive | ResumeProactive, requester: Requester
    ) -> str:
        match request:
            case ChangeSetting():
                return await self._change_setting(request, requester)
            case PauseProactive():
                await self._switch.pause(by=requester.member_id, until=request.until)
                until = (
                    "an admin says resume" if request.until is None else self._when(request.until)
                )
                return f"Okay, I'll stay quiet until {until}. I'll still answer when spoken to. 🐻"
            case ResumeProactive():
                await self._switch.resume(by=requester.member_id)
                return "I'm back to checking in and joining threads. 🐻"

    async def _decline(self, request: Request, requester: Requester, request_id: str) -> str:
        what = describe(request)
        log.info("%s asked to %s but is not an admin", requester.member_id, what)
        await record_declined(
            self._store,
            requester=requester.member_id,
            what=what,
            request_id=request_id,
            instance_id=self._instance_id,
        )
        if isinstance(request, DrawPicture):
            return ADMIN_ONLY_PICTURES
        return DECLINE.format(name=requester.name, what=what)

    async def _draw(self, request: DrawPicture, requester: Requester, request_id: str) -> str:
        if self._pictures is None:
            return NO_PICTURES
        where = requester.conversation.platform_channel if requester.conversation else None
        outcome = await self._pictures.make(
            PictureRequest(
                trigger="request",
                theme=request.theme,
                occasion=request.occasion,
                requester=requester.member_id,
                post_to=where,
                request_id=request_id,
            )
        )
        return _picture_answer(outcome)

    async def _announce(
        self, request: PostAnnouncement, requester: Requester, request_id: str
    ) -> str:
        where = _channel_label(request.channel)
        done = await self._store.read_stream_tail(_announcement_stream(request_id), 1)
        if done:  # carried out before a restart: say how it went, post nothing again
            earlier = done[-1].event
            if isinstance(earlier, AnnouncementFailed):
                return f"I couldn't post that in {where} ({earlier.reason})."
            return f"Posted in {where}. ✅"
        try:
            posted = await self._channels.post_to_channel(request.channel.ref, request.text)
        except NotInChannel:
            reason = "not in channel"
            answer = (
                f"I'm not in {where} yet, so I can't post there. Invite me with"
                f" `/invite @Lukas` in {where}, then ask me again."
            )
        except ChannelNotFound:
            reason, answer = "no such channel", f"I can't find a channel called {where}."
        except DeliveryError as error:
            reason = str(error)
            answer = f"Slack didn't take the announcement just now ({error}). Try again soon?"
        else:
            event = AnnouncementPosted(
                channel=posted.channel,
                text=request.text,
                by=requester.member_id,
                platform_message_id=posted.message_id,
            )
            await self._record(_announcement_stream(request_id), event, request_id)
            return f"Posted in {where}. ✅"
        failed = AnnouncementFailed(
            channel=request.channel.ref, text=request.text, by=requester.member_id, reason=reason
        )
        await self._record(_announcement_stream(request_id), failed, request_id)
        return answer

    async def _remind(self, request: SetReminder, requester: Requester, request_id: str) -> str:
        if request.due <= self._clock.now():
            return "That time has already passed; pick one in the future?"
        target = request.target
        kind: Literal["person", "channel"]
        if isinstance(target, Me):
            kind, target_id, name, whom = "person", requester.member_id, requester.name, "you"
        elif isinstance(target, ChannelRef):
            label = _channel_label(target)
            kind, target_id, name, whom = "channel", target.ref, label, label
        else:
            found = await self._find_person(target)
            if found is None:
                return f"I don't know anyone called {target.ref!r} on the team."
            kind, target_id, name = "person", found[0], found[1]
            whom = "you" if target_id == requester.member_id else name
        reminder = await self._reminders.set(
            NewReminder(
                owner=requester.member_id,
                owner_name=requester.name,
                target_kind=kind,
                target=target_id,
                target_name=name,
                due=request.due,
                text=request.text,
            ),
            request_id,
        )
        return (
            f"Okay! I'll remind {whom} {self._when(request.due)}: {request.text}"
            f' (reminder {reminder.number}; "cancel reminder {reminder.number}" cancels it)'
        )

    async def _list_reminders(self, requester: Requester) -> str:
        pending = await self._reminders.pending_for(requester.member_id)
        if not pending:
            return "You have no reminders waiting."
        lines = ["Your reminders:"]
        for r in pending:
            whom = "you" if r.set.target == requester.member_id else r.set.target_name
            lines.append(f"{r.set.number}. {self._when(r.due)}, for {whom}: {r.set.text}")
        return "\n".join(lines)

    async def _cancel_reminder(self, request: CancelReminder, requester: Requester) -> str:
        cancelled = await self._reminders.cancel(requester.member_id, request.number)
        if cancelled is None:
            return f'You have no waiting reminder {request.number}. ("reminders" lists yours.)'
        return f"Cancelled reminder {request.number}: {cancelled.set.text}"

    async def _change_setting(self, request: ChangeSetting, requester: Requester) -> str:
        label = SETTING_NAMES.get(request.setting, request.setting)
        try:
            change = await self._settings.change(
                request.setting, request.value, requester.member_id
            )
        except SettingRejected as error:
            return f"I can't set {label} to {request.value!r}: {error}."
        if change is None:
            return f"{label.capitalize()} is {request.value} already."
        return f"Done: {label} is now {change.new_value} (it was {change.old_value})."

    async def _ask_to_forget(
        self, request: ForgetPerson, requester: Requester, request_id: str
    ) -> str:
        me, via = requester.member_id, _via(requester)
        target = request.target
        found = None if isinstance(target, Me) else await self._find_person(target)
        if isinstance(target, Me) or (found is not None and found[0] == me):
            return await self._forget.ask(me, requester.name, requested_by=me, via=via)
        # Someone else's words: only an admin may have them forgotten.
        if me not in self._admins:
            return await self._decline(request, requester, request_id)
        if found is None:
            return f"I don't know anyone called {target.ref!r} on the team."
        return await self._forget.ask(found[0], found[1], requested_by=me, via=via)

    async def _confirm_forgetting(self, requester: Requester, request_id: str) -> str:
        names: dict[str, str] = {}
        waiting = await self._forget.waiting_for(requester.member_id)
        if waiting is not None and waiting != requester.member_id:
            # Read now: once forgotten, their name in the roster reads as forgotten too.
            found = await self._find_person(PersonRef(waiting))
            names[waiting] = found[1] if found else waiting
        return await self._forget.confirm(
            requester.member_id, names, via=_via(requester), request_id=request_id
        )

    async def _find_person(self, target: PersonRef) -> tuple[str, str] | None:
        roster = await read_roster(self._store)
        if _MEMBER_ID.fullmatch(target.ref):
            known = next((m for m in roster if m.member_id == target.ref), None)
            return target.ref, known.name if known else target.ref
        wanted = target.ref.lower()
        for member in roster:
            if member.reachable and wanted in {member.name.lower(), member.real_name.lower()}:
                return member.member_id, member.name
        return None

    def _when(self, moment: dt.datetime) -> str:
        local = moment.astimezone(self._timezone)
        today = self._clock.now().astimezone(self._timezone).date()
        if local.date() == today:
            return f"today at {local:%H:%M}"
        if local.date() == today + dt.timedelta(days=1):
            return f"tomorrow at {local:%H:%M}"
        return f"on {local:%a %d %b} at {local:%H:%M}"

    async def _record(self, stream: str, event: DomainEvent, request_id: str) -> None:
        event_id = derive_event_id(stream, request_id)
        metadata = EventMetadata(event_id, request_id, self._instance_id)
        await self._store.append(stream, [NewEvent(event_id, event, metadata)], None)


def describe(request: Request) -> str:
    """The request in words, for a refusal and for the log."""
    match request:
        case ChangeSetting():
            name = SETTING_NAMES.get(request.setting, request.setting)
            return f"change the {name} to {request.value}"
        case PauseProactive():
            return "pause my check-ins and thread replies"
        case ResumeProactive():
            return "resume my check-ins and thread replies"
        case DrawPicture():
            return "ask for a picture"
        case ForgetPerson():
            return "ask me to forget someone else"
        case _:
            return type(request).__name__


def _picture_answer(outcome: PictureOutcome) -> str:
    if outcome.skipped:  # carried out again after a restart: one picture per request
        return "I've drawn that one already. 🐻"
    if outcome.failure is not None and outcome.file is None:
        return (
            f"My crayons let me down this time ({outcome.failure}). `lukas replay` says why;"
            " try again later? 🐻"
        )
    if outcome.failure is not None:
        return f"I drew it but couldn't post it ({outcome.failure}); it is kept at {outcome.file}."
    if outcome.posted_as is not None:
        return f"There you go! {outcome.caption or ''}".strip()
    return f"{outcome.caption} (picture saved at {outcome.file})"


def _via(requester: Requester) -> str:
    """Where a forget request was made, as ForgettingRequested records it."""
    conversation = requester.conversation
    if conversation is not None and str(conversation).startswith("console:"):
        return "console"
    return "slack"


def _announcement_stream(request_id: str) -> str:
    # One stream per request, so carrying a request out again can see it was done.
    return f"announcement:{request_id}"


def _channel_label(channel: ChannelRef) -> str:
    ref = channel.ref
    return f"<#{ref}>" if is_channel_id(ref) else f"#{ref.removeprefix('#')}"
