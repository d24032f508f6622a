"""Sessions in a direct-message channel: the rules of a `dm-sessions:<channel>` stream.

A DM channel runs for months; old small talk should not fill the context of a question
asked weeks later. Each ConversationStarted names the channel's newest session, and a
message after `idle` of silence in it starts the next one.

How long the session has been silent is read from another stream (the session's
conversation), so the command carries what was read and which session it was read from:
if another session was started after that read, the message joins it, whatever the old
one's silence said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.decider import Decider
from lukas.domain.events import ConversationStarted, DomainEvent


@attrs.frozen
class Session:
    key: ConversationKey
    started_at: dt.datetime  # when its ConversationStarted was recorded


@attrs.frozen
class SessionState:
    current: Session | None = None  # the channel's newest session; None: no DM yet


@attrs.frozen(kw_only=True)
class JoinSession:
    """A member's message, continuing the current session unless it went quiet."""

    key: ConversationKey  # the session this message starts, if it starts one
    examined: ConversationKey | None  # the session whose last activity was read
    last_activity: dt.datetime | None  # its conversation's newest event; None: empty
    now: dt.datetime  # when the message arrived
    idle: dt.timedelta


@attrs.frozen(kw_only=True)
class OpenSession:
    """Lukas's own check-in opens a session; the member's answer continues it."""

    key: ConversationKey


SessionCommand = JoinSession | OpenSession


def decide(command: SessionCommand, state: SessionState) -> Sequence[DomainEvent]:
    current = state.current
    if current is not None and current.key == command.key:
        return []  # opened already: a redelivery, or a retry after a crash
    if isinstance(command, OpenSession) or current is None:
        return [ConversationStarted(conversation=command.key)]
    if current.key != command.examined:
        return []  # started after the silence was read: it is fresh, so join it
    # The last sign of life: the conversation's newest event, else the session's start.
    latest = max(current.started_at, command.last_activity or current.started_at)
    if command.now - latest <= command.idle:
        return []
    return [ConversationStarted(conversation=command.key)]


def evolve(state: SessionState, event: DomainEvent, at: dt.datetime) -> SessionState:
    if isinstance(event, ConversationStarted):
        return SessionState(Session(event.conversation, at))
    return state


DM_SESSIONS: Decider[SessionCommand, SessionState] = Decider(SessionState(), decide, evolve)


def session_stream(channel: str) -> str:
    return f"dm-sessions:{channel}"
