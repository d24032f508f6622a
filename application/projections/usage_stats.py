"""Messages, replies, fallbacks, tokens, pictures and money, by day and provider."""

from __future__ import annotations

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.events import (
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    MessageReceived,
    ReplyFailed,
    ReplyGenerated,
)


@attrs.define
class DayStats:
    """Updated in place by the fold that made it, so a long log is not copied per event."""

    messages: int = 0
    replies: int = 0
    fallbacks: int = 0
    tokens: int = 0
    images: int = 0
    image_failures: int = 0
    images_posted: int = 0
    cost_usd: float = 0.0


# (day, provider) -> stats; "-" stands for events that have no provider.
Stats = dict[tuple[str, str], DayStats]


class UsageStatsProjection:
    def initial(self) -> Stats:
        return {}

    def evolve(self, state: Stats, recorded: RecordedEvent) -> Stats:
        day = recorded.recorded_at.date().isoformat()
        event = recorded.event
        match event:
            case MessageReceived():
                _bump(state, (day, "-"), messages=1)
            case ReplyGenerated():
                tokens = event.usage.total_tokens if event.usage else 0
                _bump(state, (day, event.provider), replies=1, tokens=tokens)
            case ReplyFailed():
                _bump(state, (day, "-"), fallbacks=1)
            case ImageGenerated():
                _bump(state, (day, event.model), images=1, cost_usd=event.cost_usd)
            case ImageFailed():
                _bump(state, (day, "-"), image_failures=1)
            case ImagePosted():
                _bump(state, (day, "-"), images_posted=1)
        return state


def _bump(state: Stats, key: tuple[str, str], **amounts: float) -> None:
    current = state.get(key)
    if current is None:
        current = state[key] = DayStats()
    for name, value in amounts.items():
        setattr(current, name, getattr(current, name) + value)
