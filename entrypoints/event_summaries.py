"""One line per event for `lukas replay`: the fields that explain what happened."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

import attrs

from lukas.domain.events import (
    AdminAlerted,
    AnnouncementFailed,
    AnnouncementPosted,
    AssistantThreadContextChanged,
    AssistantThreadStarted,
    CheckInDelivered,
    CheckInFailed,
    CheckInOpened,
    CheckInPostponed,
    CheckInScheduled,
    CheckInSkipped,
    CheckInWritten,
    CircuitStateChanged,
    ConfigurationChanged,
    ConversationStarted,
    DeliveryClaimed,
    DomainEvent,
    EngagementDecided,
    FeedbackGiven,
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    ImageRequested,
    InboundFailed,
    InboundIgnored,
    InboundReceived,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    MessageReceived,
    PersonNamed,
    ProactivePaused,
    ProactiveResumed,
    ReminderCancelled,
    ReminderDelivered,
    ReminderFailed,
    ReminderFiring,
    ReminderSet,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    ReplyStreamClosed,
    ReplyStreamStarted,
    RequestDeclined,
)

QUOTE_LIMIT = 80


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    flat = " ".join(text.split())
    return json.dumps(
        flat if len(flat) <= limit else flat[: limit - 1] + "\u2026", ensure_ascii=False
    )


@attrs.frozen
class Quoting:
    """How much of each quoted text a summary shows: less, when the line must fit a terminal."""

    limit: int = QUOTE_LIMIT

    def __call__(self, text: str, *, longer: bool = False) -> str:
        # An alert's text is the point of the alert: it gets half as much room again.
        return quote(text, self.limit * 3 // 2 if longer else self.limit)


def _short(event_id: str) -> str:
    return event_id[:8]


def _message(e: MessageReceived, q: Quoting) -> str:
    return (
        f"{e.author_name} ({e.author_id}) said {q(e.text)}"
        f" [{e.token_count} tokens, platform id {e.platform_message_id}; {e.route.describe()}]"
    )


def _inbound(e: InboundReceived, q: Quoting) -> str:
    where = (
        "a DM"
        if e.is_direct
        else f"{e.channel}" + (f" thread {e.thread_ts}" if e.thread_ts else "")
    )
    mention = ", mentioning Lukas" if e.mentions_me else ""
    return f"{e.platform} delivered {e.ts} from {e.author_id} in {where}{mention}: {q(e.text)}"


def _reply(e: ReplyGenerated, q: Quoting) -> str:
    usage = (
        f"usage {e.usage.prompt_tokens}+{e.usage.completion_tokens}"
        if e.usage
        else "no usage reported"
    )
    first = f", first text {e.first_text_ms} ms" if e.first_text_ms is not None else ""
    return (
        f"reply to {_short(e.reply_to)} from {e.provider}:{e.model} {q(e.text)}"
        f" [{e.finish_reason}, {e.latency_ms} ms{first}, context {e.context_tokens} tokens,"
        f" {usage}]"
    )


def _failed(e: ReplyFailed, q: Quoting) -> str:
    return (
        f"no reply to {_short(e.reply_to)}: {e.kind.value} after {e.attempts} attempt(s)"
        f" ({e.detail}); sent {q(e.fallback_text)}"
    )


def _image_requested(e: ImageRequested, q: Quoting) -> str:
    why = f"for {e.period}" if e.period else f"by {e.requester or 'someone'}"
    return (
        f"picture asked {why} (theme {e.theme or '-'}, occasion {e.occasion or '-'}): {q(e.prompt)}"
    )


def _image_generated(e: ImageGenerated, q: Quoting) -> str:
    return (
        f"picture drawn by {e.model} ({e.size}, {e.quality}, from {e.source},"
        f" ${e.cost_usd:.3f}) saved at {e.file}"
    )


def _image_failed(e: ImageFailed, q: Quoting) -> str:
    later = "may work later" if e.retry_later_could_help else "will not work as is"
    return f"no picture: {e.kind} after {e.attempts} attempt(s) ({e.message}; {later})"


def _alerted(e: AdminAlerted, q: Quoting) -> str:
    admins = ", ".join(e.admins) or "no admins configured"
    return f"alerted {admins} about {e.kind.value}: {q(e.text, longer=True)}"


def _engagement(e: EngagementDecided, q: Quoting) -> str:
    acts = [w for w, on in (("reply", e.reply), (f"react :{e.reaction}:", e.reaction)) if on]
    return f"new thread {e.channel}/{e.ts}: {' and '.join(acts) or 'stay quiet'} ({e.reason})"


_SUMMARIES: dict[type[Any], Callable[[Any, Quoting], str]] = {
    MessageReceived: _message,
    InboundReceived: _inbound,
    InboundIgnored: lambda e, q: f"delivery {_short(e.received)} is not for Lukas: {e.reason}",
    InboundFailed: lambda e, q: (
        f"delivery {_short(e.received)} could not be read (attempt {e.attempt}): {e.reason}"
    ),
    ReplyGenerated: _reply,
    ReplyFailed: _failed,
    ReplyDelivered: lambda e, q: (
        f"delivered reply to {_short(e.reply_to)} as {e.platform_message_id}"
    ),
    DeliveryClaimed: lambda e, q: f"took over delivering the reply to {_short(e.reply_to)}",
    ReplyStreamStarted: lambda e, q: (
        f"started writing the reply to {_short(e.reply_to)} into {e.platform_message_id}"
    ),
    ReplyStreamClosed: lambda e, q: (
        f"closed the cut-off reply to {_short(e.reply_to)} in {e.platform_message_id} ({e.reason})"
    ),
    AssistantThreadStarted: lambda e, q: (
        f"{e.user_id} opened an assistant thread {e.channel}/{e.thread_ts}"
        f" (looking at {e.context_channel or 'no channel'})"
    ),
    AssistantThreadContextChanged: lambda e, q: (
        f"assistant thread {e.channel}/{e.thread_ts} now looking at"
        f" {e.context_channel or 'no channel'}"
    ),
    FeedbackGiven: lambda e, q: (
        f"{e.person_id} rated the reply {e.platform_message_id} by {e.model}"
        f" {'good' if e.good else 'bad'}"
    ),
    CircuitStateChanged: lambda e, q: (
        f"circuit for {e.dependency}: {e.previous} -> {e.current} ({e.detail})"
    ),
    AdminAlerted: _alerted,
    PersonNamed: lambda e, q: f"{e.person_id} is called {q(e.display_name)}",
    ConversationStarted: lambda e, q: f"new conversation {e.conversation}",
    ImageRequested: _image_requested,
    ImageGenerated: _image_generated,
    ImageFailed: _image_failed,
    ImagePosted: lambda e, q: f"picture posted to {e.channel} as {e.reference}",
    EngagementDecided: _engagement,
    ProactivePaused: lambda e, q: f"{e.by} paused unasked messages until {e.until or 'resumed'}",
    ProactiveResumed: lambda e, q: f"{e.by} resumed unasked messages",
    MemberJoined: lambda e, q: (
        f"{e.member_id} ({q(e.name)}) joined the team{' (a bot)' if e.is_bot else ''}"
    ),
    MemberUpdated: lambda e, q: (
        f"{e.member_id} is now {q(e.name)} ({q(e.real_name)}, {e.timezone or 'no zone'})"
    ),
    MemberLeft: lambda e, q: f"{e.member_id} left the team ({e.reason})",
    CheckInScheduled: lambda e, q: (
        f"next check-in due {e.due} (interval {e.interval}, draw {e.draw:.3f})"
    ),
    CheckInPostponed: lambda e, q: f"check-in postponed to {e.due or 'resumed'} ({e.reason})",
    CheckInWritten: lambda e, q: (
        f"check-in for {e.member_name} ({e.member_id}), {e.reason}, by {e.written_by}: {q(e.text)}"
    ),
    CheckInDelivered: lambda e, q: (
        f"check-in delivered to {e.member_id} as {e.platform_message_id} in {e.conversation}"
    ),
    CheckInFailed: lambda e, q: f"check-in for {e.member_id} not sent: {e.reason}",
    CheckInSkipped: lambda e, q: f"no check-in: {e.reason}",
    CheckInOpened: lambda e, q: f"Lukas checked in with {e.member_id}: {q(e.text)}",
    ConfigurationChanged: lambda e, q: (
        f"{e.by} changed {e.setting} from {q(e.old_value)} to {q(e.new_value)}"
    ),
    RequestDeclined: lambda e, q: f"declined {e.requester}'s {q(e.request)}: {e.reason}",
    AnnouncementPosted: lambda e, q: (
        f"{e.by}'s announcement posted to {e.channel} as {e.platform_message_id}: {q(e.text)}"
    ),
    AnnouncementFailed: lambda e, q: (
        f"{e.by}'s announcement to {e.channel} not posted ({e.reason}): {q(e.text)}"
    ),
    ReminderSet: lambda e, q: (
        f"reminder {e.number} ({_short(e.reminder_id)}) by {e.owner_name} for"
        f" {e.target_name} at {e.due}: {q(e.text)}"
    ),
    ReminderCancelled: lambda e, q: f"reminder {_short(e.reminder_id)} cancelled by {e.by}",
    ReminderFiring: lambda e, q: (
        f"reminder {_short(e.reminder_id)} is due: sending it"
        + (f" (claimed by instance {e.by})" if e.by else "")
    ),
    ReminderDelivered: lambda e, q: (
        f"reminder {_short(e.reminder_id)} delivered as {e.platform_message_id}"
    ),
    ReminderFailed: lambda e, q: f"reminder {_short(e.reminder_id)} not delivered: {e.reason}",
}


def summary(event: DomainEvent, quote_limit: int = QUOTE_LIMIT) -> str:
    """The essential fields of an event, on one line; every field, for a type that has
    no summary of its own yet. Quoted texts are cut at `quote_limit` characters."""
    summarise = _SUMMARIES.get(type(event))
    if summarise is None:
        fields = ", ".join(
            f"{field.name}={getattr(event, field.name)!r}" for field in attrs.fields(type(event))
        )
        return _one_line(f"{event.TYPE}: {fields}")
    return _one_line(summarise(event, Quoting(quote_limit)))


def _one_line(text: str) -> str:
    # Names and reasons come from outside (a display name, a Slack error): a line break in
    # one must not split an event across lines of `lukas replay`.
    if text.isprintable():
        return text  # the usual case, checked at C speed
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in {"Cc", "Zl", "Zp"}
        else ch
        for ch in text
    )
