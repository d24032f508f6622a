"""A picture's stream: asked for once, then drawn or failed, then posted or failed."""

from __future__ import annotations

import pytest

from lukas.application.ports.event_store import EventMetadata
from lukas.application.streams import decide_on_stream
from lukas.domain.events import (
    DomainEvent,
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    ImageRequested,
)
from lukas.domain.images import Period, image_prompt
from lukas.domain.picture_stream import (
    PICTURES,
    AskForPicture,
    PictureCommand,
    RecordDrawing,
    RecordPosting,
    period_stream,
)

from .conftest import Scenarios
from .rivals import RivalFirst

pytestmark = pytest.mark.anyio

STREAM = period_stream(Period(2026, 48))
REQUESTED = ImageRequested(
    prompt=image_prompt("autumn", "thanksgiving"),
    theme="autumn",
    occasion="thanksgiving",
    trigger="schedule",
    requester=None,
    period="2026-W48",
)
GENERATED = ImageGenerated(
    requester=None,
    model="gpt-image-1",
    size="1024x1024",
    quality="medium",
    revised_prompt=None,
    source="b64_json",
    file="pictures/image-period-2026-W48.png",
    cost_usd=0.042,
    caption="Leaves and cocoa",
)
NOT_DRAWN = ImageFailed(
    kind="content_policy", message="rejected", attempts=1, retry_later_could_help=False
)
POSTED = ImagePosted(channel="C0GEN", reference="F0001")
NOT_POSTED = ImageFailed(
    kind="posting", message="not_in_channel", attempts=1, retry_later_could_help=True
)


async def test_a_picture_is_asked_for_on_an_empty_stream(scenarios: Scenarios) -> None:
    await scenarios.run(STREAM, PICTURES, when=AskForPicture(REQUESTED), then=[REQUESTED])


@pytest.mark.parametrize(
    "given",
    [
        pytest.param([REQUESTED], id="being drawn"),
        pytest.param([REQUESTED, NOT_DRAWN], id="failed: waits for the next period"),
        pytest.param([REQUESTED, GENERATED, POSTED], id="posted"),
    ],
)
async def test_a_picture_asked_for_already_is_not_asked_again(
    scenarios: Scenarios, given: list[DomainEvent]
) -> None:
    # A second process, a restart, or a redelivered request: one picture per stream.
    await scenarios.run(STREAM, PICTURES, given=given, when=AskForPicture(REQUESTED), then=[])


async def test_a_prompt_lukas_refuses_is_asked_and_failed_at_once(scenarios: Scenarios) -> None:
    refused = ImageRequested(
        prompt="A friendly bear holding a gun",
        theme=None,
        occasion=None,
        trigger="request",
        requester="U0ADMIN",
        period=None,
    )
    failed = ImageFailed(
        kind="prompt_rejected",
        message="the prompt contains a term a workplace mascot avoids",
        attempts=0,
        retry_later_could_help=False,
    )
    await scenarios.run(STREAM, PICTURES, when=AskForPicture(refused), then=[refused, failed])


@pytest.mark.parametrize("outcome", [GENERATED, NOT_DRAWN], ids=["drawn", "not drawn"])
async def test_the_drawing_s_outcome_follows_the_request(
    scenarios: Scenarios, outcome: ImageGenerated | ImageFailed
) -> None:
    await scenarios.run(
        STREAM, PICTURES, given=[REQUESTED], when=RecordDrawing(outcome), then=[outcome]
    )


@pytest.mark.parametrize("outcome", [POSTED, NOT_POSTED], ids=["posted", "not posted"])
async def test_the_posting_s_outcome_follows_the_drawing(
    scenarios: Scenarios, outcome: ImagePosted | ImageFailed
) -> None:
    await scenarios.run(
        STREAM,
        PICTURES,
        given=[REQUESTED, GENERATED],
        when=RecordPosting(outcome),
        then=[outcome],
    )


@pytest.mark.parametrize(
    ("given", "command"),
    [
        pytest.param([], RecordDrawing(GENERATED), id="drawn, never asked for"),
        pytest.param([REQUESTED, GENERATED], RecordDrawing(GENERATED), id="drawn twice"),
        pytest.param([REQUESTED, NOT_DRAWN], RecordDrawing(GENERATED), id="drawn after failing"),
        pytest.param([REQUESTED], RecordPosting(POSTED), id="posted, not drawn"),
        pytest.param([REQUESTED, NOT_DRAWN], RecordPosting(POSTED), id="posted, drawing failed"),
        pytest.param([REQUESTED, GENERATED, POSTED], RecordPosting(POSTED), id="posted twice"),
    ],
)
async def test_an_outcome_out_of_turn_is_not_written(
    scenarios: Scenarios, given: list[DomainEvent], command: PictureCommand
) -> None:
    await scenarios.run(STREAM, PICTURES, given=given, when=command, then=[])


@pytest.mark.parametrize("rival", ["instance-b", "instance-a"], ids=["another", "the same"])
async def test_of_two_asking_for_the_same_week_at_once_one_draws(
    scenarios: Scenarios, rival: str
) -> None:
    # Another instance's request conflicts; the same instance's (a retry) is a duplicate.
    # Either way the loser reads the request and decides nothing.
    store = scenarios.store
    ask = AskForPicture(REQUESTED)

    async def rival_asks() -> None:
        await decide_on_stream(store, STREAM, PICTURES, ask, EventMetadata(STREAM, None, rival))

    racing = RivalFirst(store, rival_asks)
    metadata = EventMetadata(STREAM, None, "instance-a")
    decided = await decide_on_stream(racing, STREAM, PICTURES, ask, metadata)
    assert decided.events == ()
    recorded = await store.read_stream(STREAM)
    assert [(r.event, r.metadata.instance_id) for r in recorded] == [(REQUESTED, rival)]
