"""The buttons under a reply as a decider: each person's verdict on one reply, changed by a
click on the other button, unchanged by a click on the same one (or by Slack sending the
same click again)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from lukas.domain.decider import Decider
from lukas.domain.events import DomainEvent, FeedbackGiven


@attrs.frozen
class FeedbackState:
    # True for the good button, by person.
    verdicts: Mapping[str, bool] = attrs.field(factory=dict)


INITIAL_FEEDBACK = FeedbackState()


@attrs.frozen(kw_only=True)
class GiveFeedback:
    platform_message_id: str
    reply_to: str
    model: str
    person_id: str
    good: bool


def decide(command: GiveFeedback, state: FeedbackState) -> list[DomainEvent]:
    if state.verdicts.get(command.person_id) == command.good:
        return []
    return [
        FeedbackGiven(
            platform_message_id=command.platform_message_id,
            reply_to=command.reply_to,
            model=command.model,
            person_id=command.person_id,
            good=command.good,
        )
    ]


def evolve(state: FeedbackState, event: DomainEvent, at: dt.datetime) -> FeedbackState:
    if isinstance(event, FeedbackGiven):
        return FeedbackState({**state.verdicts, event.person_id: event.good})
    return state


FEEDBACK: Decider[GiveFeedback, FeedbackState] = Decider(INITIAL_FEEDBACK, decide, evolve)
