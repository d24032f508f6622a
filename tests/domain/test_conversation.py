"""Given events, when a command, then events: the conversation's rules with no I/O."""

import pytest

from lukas.domain import conversation
from lukas.domain.conversation import (
    ConversationRuleError,
    RecordClaim,
    RecordDelivery,
    RecordFailure,
    RecordReply,
    choose_fallback,
    decide,
    fold,
    forget,
)
from lukas.domain.events import DomainEvent, ReplyDelivered, ReplyFailed, ReplyGenerated
from lukas.domain.failures import FailureKind
from lukas.domain.persona import FALLBACK_RESPONSES


def reply(to: str = "m1", text: str = "Hi!") -> RecordReply:
    return RecordReply(
        message_id=to,
        text=text,
        provider="openai",
        model="gpt",
        usage=None,
        finish_reason="stop",
        latency_ms=5,
        context_tokens=50,
        token_count=2,
    )


def failure(to: str = "m1", fallback: str = FALLBACK_RESPONSES[0]) -> RecordFailure:
    return RecordFailure(
        message_id=to, kind=FailureKind.PROVIDER, detail="500", attempts=3, fallback_text=fallback
    )


def given(*events: DomainEvent) -> conversation.ConversationState:
    return fold(events)


def test_a_reply_to_an_unanswered_message_is_generated() -> None:
    [event] = decide(reply(), given())
    assert isinstance(event, ReplyGenerated)
    assert event.reply_to == "m1"


def test_a_message_is_never_answered_twice() -> None:
    answered = given(*decide(reply(), given()))
    assert decide(reply(text="again"), answered) == []
    assert decide(failure(), answered) == []


def test_a_failure_records_the_fallback_and_remembers_it() -> None:
    [event] = decide(failure(), given())
    assert isinstance(event, ReplyFailed)
    assert given(event).last_fallback == FALLBACK_RESPONSES[0]


def test_a_blank_reply_is_not_a_reply() -> None:
    with pytest.raises(ConversationRuleError):
        decide(reply(text="  \n"), given())


def test_delivery_once_and_only_of_something_made() -> None:
    with pytest.raises(ConversationRuleError):
        decide(RecordDelivery(message_id="m1", platform_message_id="p"), given())
    answered = given(*decide(reply(), given()))
    [delivered] = decide(RecordDelivery(message_id="m1", platform_message_id="p"), answered)
    assert isinstance(delivered, ReplyDelivered)
    assert (
        decide(
            RecordDelivery(message_id="m1", platform_message_id="p"),
            given(*decide(reply(), given()), delivered),
        )
        == []
    )


def test_only_a_finished_message_is_forgotten() -> None:
    delivery = RecordDelivery(message_id="m1", platform_message_id="p")
    answered = given(*decide(reply(), given()))
    assert forget(answered, ["m1"]) is answered  # its delivery is still to be decided
    delivered = given(*decide(reply(), given()), *decide(delivery, answered))
    assert forget(delivered, ["m1"]) == given()
    assert forget(delivered, ["m2"]) is delivered
    # A repeat of a forgotten message decides nothing new: no claim of it, and a second
    # reply carries the outcome id the store already holds.
    assert decide(RecordClaim(message_id="m1"), forget(delivered, ["m1"])) == []


@pytest.mark.parametrize("draw", [0.0, 0.34, 0.5, 0.67, 0.99])
def test_a_fallback_is_never_the_previous_one(draw: float) -> None:
    for previous in FALLBACK_RESPONSES:
        assert choose_fallback(FALLBACK_RESPONSES, previous, draw) != previous


def test_the_draw_picks_among_all_phrases_when_none_came_before() -> None:
    picked = {choose_fallback(FALLBACK_RESPONSES, None, d / 10) for d in range(10)}
    assert picked == set(FALLBACK_RESPONSES)
