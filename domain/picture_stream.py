"""A bear picture's life in its own stream, `image-period:<week>` for the weekly one or
`image-request:<id>` for one asked for: requested once, then drawn or failed, then posted
or failed. Drawing, keeping the file and posting happen in the application between
decisions; these rules say which outcome may follow which.

A stream is asked for only while it is empty: of two processes (or a restart) asking for
the same week or carrying out the same request, one draws the picture.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

import attrs

from lukas.domain.decider import Decider
from lukas.domain.events import (
    DomainEvent,
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    ImageRequested,
)
from lukas.domain.images import Period, PromptRejectedError, validate_prompt

# The failure kind of a prompt Lukas's own checks refuse: nothing was asked of the model,
# and asking again later would be refused the same way.
PROMPT_REJECTED = "prompt_rejected"


class Stage(enum.Enum):
    UNASKED = "unasked"
    REQUESTED = "requested"  # being drawn
    GENERATED = "generated"  # drawn and kept, not posted (yet, or not asked to be)
    FAILED = "failed"
    POSTED = "posted"


@attrs.frozen
class PictureState:
    stage: Stage = Stage.UNASKED


@attrs.frozen
class AskForPicture:
    requested: ImageRequested


@attrs.frozen
class RecordDrawing:
    outcome: ImageGenerated | ImageFailed


@attrs.frozen
class RecordPosting:
    outcome: ImagePosted | ImageFailed


PictureCommand = AskForPicture | RecordDrawing | RecordPosting


def decide(command: PictureCommand, state: PictureState) -> Sequence[DomainEvent]:
    match command:
        case AskForPicture(requested=requested) if state.stage is Stage.UNASKED:
            try:
                validate_prompt(requested.prompt)
            except PromptRejectedError as error:
                rejected = ImageFailed(
                    kind=PROMPT_REJECTED,
                    message=str(error),
                    attempts=0,
                    retry_later_could_help=False,
                )
                return [requested, rejected]
            return [requested]
        case RecordDrawing(outcome=outcome) if state.stage is Stage.REQUESTED:
            return [outcome]
        case RecordPosting(outcome=outcome) if state.stage is Stage.GENERATED:
            return [outcome]
    return []


_STAGES: dict[type[DomainEvent], Stage] = {
    ImageRequested: Stage.REQUESTED,
    ImageGenerated: Stage.GENERATED,
    ImageFailed: Stage.FAILED,
    ImagePosted: Stage.POSTED,
}


def evolve(state: PictureState, event: DomainEvent, at: dt.datetime) -> PictureState:
    stage = _STAGES.get(type(event))
    return PictureState(stage) if stage is not None else state


PICTURES: Decider[PictureCommand, PictureState] = Decider(PictureState(), decide, evolve)


def period_stream(period: Period) -> str:
    return f"image-period:{period}"


def request_stream(request_id: str) -> str:
    return f"image-request:{request_id}"
