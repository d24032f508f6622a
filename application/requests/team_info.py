"""Team info, Lukas's status and his engagement statistics, as chat answers."""

from __future__ import annotations

import datetime as dt

from lukas.application.live_settings import LiveSettings
from lukas.application.offline_model import OFFLINE_MODEL_NAME
from lukas.application.ports.event_store import EventStore
from lukas.application.proactive import ProactiveSwitch
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.statistics import Statistics
from lukas.application.roster import read_roster
from lukas.application.streams import state_of
from lukas.domain.check_in_schedule import CHECK_IN_STREAM, CHECK_INS
from lukas.domain.events import CircuitStateChanged
from lukas.domain.settings import LIVE_SETTINGS


async def team_text(store: EventStore, admins: frozenset[str], lukas_id: str) -> str:
    roster = await read_roster(store)
    people = [m for m in roster if m.reachable and m.member_id != lukas_id]
    if not people:
        return "I don't know the team yet: the member list hasn't been synced from Slack."
    names = [f"{m.name} (admin)" if m.member_id in admins else m.name for m in people]
    return f"The team ({len(people)}): " + ", ".join(sorted(names, key=str.lower)) + "."


async def status_text(
    store: EventStore,
    settings: LiveSettings,
    switch: ProactiveSwitch,
    timezone: dt.tzinfo,
    *,
    breaker: str = "chat-model",
    provider: str | None = None,
) -> str:
    """`provider` is the chat model's name (None when the caller does not know it); with no
    provider configured the answer says offline, whatever the breaker's state."""
    current = await settings.current()
    changes = await settings.latest_changes()
    lines = ["My settings:"]
    for setting in LIVE_SETTINGS:
        change = changes.get(setting.key)
        source = f" (set by {change.event.by})" if change else ""
        lines.append(f"• {setting.label}: {current.text_of(setting.key)}{source}")
    paused = await switch.paused_until()
    if paused is None:
        lines.append("• speaking unasked: yes, within active hours")
    elif paused.year == dt.MAXYEAR:
        lines.append("• speaking unasked: paused until an admin says resume")
    else:
        lines.append(f"• speaking unasked: paused until {_local(paused, timezone)}")
    schedule, _ = await state_of(store, CHECK_IN_STREAM, CHECK_INS)
    if schedule.due is not None:
        lines.append(f"• next check-in: {_local(schedule.due, timezone)}")
    else:
        # Drawn once the Slack bot runs with a roster; the console never checks in.
        lines.append("• next check-in: none scheduled yet (drawn when the Slack bot runs)")
    lines.append(f"• AI provider: {await _provider_health(store, breaker, provider)}")
    return "\n".join(lines)


async def _provider_health(store: EventStore, breaker: str, provider: str | None) -> str:
    if provider == OFFLINE_MODEL_NAME:
        # The breaker never opens for a model that is not there: "healthy" would mislead.
        return "offline, none configured (I answer with fallback phrases)"
    tail = await store.read_stream_tail(f"circuit:{breaker}", 1)
    state = (
        tail[-1].event.current if tail and isinstance(tail[-1].event, CircuitStateChanged) else None
    )
    health = {
        None: "healthy",
        "closed": "healthy",
        "open": "having trouble (I'm using fallback answers)",
        "half-open": "recovering",
    }.get(state, state or "healthy")
    return health if provider is None else f"{provider}, {health}"


async def stats_text(statistics: CheckpointedProjection[Statistics]) -> str:
    (_, stats), _ = await statistics.current()
    rate = stats.participation_rate
    lines = [
        f"New threads I looked at: {stats.threads_judged}; joined {stats.threads_joined}"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f"; reactions: {stats.reactions}.",
    ]
    shown = [member for _, member in stats.members_shown()]
    if shown:
        lines.append("Check-ins: " + ", ".join(f"{m.name} {m.delivered}" for m in shown) + ".")
    else:
        lines.append("No check-ins yet.")
    return "\n".join(lines)


def _local(moment: dt.datetime, timezone: dt.tzinfo) -> str:
    return f"{moment.astimezone(timezone):%a %d %b %H:%M}"
