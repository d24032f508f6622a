"""The conversation decider under random command sequences: it refuses only what its rules
refuse, replaying its events rebuilds its state, and no repetition answers or delivers twice.
"""

from __future__ import annotations

from collections import Counter

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.domain.conversation import (
    INITIAL_STATE,
    Command,
    ConversationRuleError,
    ConversationState,
    ReceiveMessage,
    RecordClaim,
    RecordDelivery,
    RecordFailure,
    RecordReply,
    decide,
    evolve,
    fold,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    AdminAlerted,
    CircuitStateChanged,
    DeliveryClaimed,
    DomainEvent,
    MessageReceived,
    PersonNamed,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    Usage,
)
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route

# Few ids, so that long sequences repeat commands about the same messages many times.
MESSAGE_IDS = ("m1", "m2", "m3")
KEY = ConversationKey("console:props")


@attrs.frozen
class Unrelated:
    """Not a command: an event of another kind lands in the stream between commands."""

    event: DomainEvent


Step = Command | Unrelated

message_ids = st.sampled_from(MESSAGE_IDS)
# Blank texts in several shapes (str.strip() knows Unicode spaces), and ordinary ones.
blank_texts = st.sampled_from(["", " ", "\n\t", "\u3000", " \u2003\r\n"])
reply_texts = st.one_of(blank_texts, st.text(max_size=30))
small_ints = st.integers(min_value=0, max_value=10_000)

receive = st.builds(
    ReceiveMessage,
    conversation=st.just(KEY),
    author_id=st.sampled_from(["U1", "U2"]),
    author_name=st.sampled_from(["Ada", "Grace"]),
    text=st.text(max_size=30),
    platform_message_id=st.sampled_from(["p1", "p2", "p3"]),
    token_count=small_ints,
    route=st.sampled_from([Route.addressed(), Route.unasked()]),
)
usages = st.none() | st.builds(Usage, small_ints, small_ints, small_ints)
reply = st.builds(
    RecordReply,
    message_id=message_ids,
    text=reply_texts,
    provider=st.just("fake"),
    model=st.just("scripted"),
    usage=usages,
    finish_reason=st.sampled_from(["stop", "length"]),
    latency_ms=small_ints,
    context_tokens=small_ints,
    token_count=small_ints,
)
failure = st.builds(
    RecordFailure,
    message_id=message_ids,
    kind=st.sampled_from(FailureKind),
    detail=st.text(max_size=20),
    attempts=st.integers(min_value=0, max_value=5),
    fallback_text=st.sampled_from(["Grr, one moment.", "Paws up, try again?"]),
)
delivery = st.builds(
    RecordDelivery, message_id=message_ids, platform_message_id=st.sampled_from(["D1", "D2"])
)
claim = st.builds(RecordClaim, message_id=message_ids)
unrelated = st.builds(
    Unrelated,
    st.sampled_from(
        [
            PersonNamed(person_id="U1", display_name="Ada"),
            CircuitStateChanged(dependency="model", previous="closed", current="open", detail=""),
            AdminAlerted(kind=FailureKind.AUTHENTICATION, text="check the key", admins=("UA",)),
            # A claim for a message that has no outcome yet: evolve must ignore it too.
            DeliveryClaimed(reply_to="m1"),
        ]
    ),
)
steps = st.lists(st.one_of(receive, reply, failure, delivery, claim, unrelated), max_size=60)


def is_documented_refusal(command: Command, state: ConversationState) -> bool:
    """The two cases the rules refuse: delivering what was never made, replying with nothing."""
    match command:
        case RecordDelivery():
            return command.message_id not in state.delivered | state.answered
        case RecordReply():
            return command.message_id not in state.answered and not command.text.strip()
        case _:
            return False


def run(sequence: list[Step]) -> tuple[ConversationState, list[DomainEvent]]:
    """Decide then evolve step by step; returns the final state and every event in order."""
    state, log = INITIAL_STATE, list[DomainEvent]()
    for step in sequence:
        if isinstance(step, Unrelated):
            events = [step.event]
        else:
            refused = is_documented_refusal(step, state)
            try:
                events = decide(step, state)
            except ConversationRuleError:
                assert refused, f"{step} refused in {state}"
                continue
            assert not refused, f"{step} should have been refused in {state}"
        for event in events:
            state = evolve(state, event)
        log.extend(events)
    return state, log


@settings(max_examples=120, deadline=None)
@given(steps)
def test_decide_refuses_only_the_documented_cases(sequence: list[Step]) -> None:
    run(sequence)  # any other exception fails the test; `run` checks each refusal


@settings(max_examples=120, deadline=None)
@given(steps)
def test_folding_the_events_from_scratch_gives_the_step_by_step_state(
    sequence: list[Step],
) -> None:
    state, log = run(sequence)
    assert fold(log) == state
    # ...and folding in two halves is the same as folding at once.
    half = len(log) // 2
    assert fold(log[half:], fold(log[:half])) == state


@settings(max_examples=120, deadline=None)
@given(steps)
def test_a_message_gets_at_most_one_outcome_and_one_delivery(sequence: list[Step]) -> None:
    state, log = run(sequence)
    outcomes = Counter(e.reply_to for e in log if isinstance(e, ReplyGenerated | ReplyFailed))
    deliveries = Counter(e.reply_to for e in log if isinstance(e, ReplyDelivered))
    assert all(count == 1 for count in outcomes.values()), outcomes
    assert all(count == 1 for count in deliveries.values()), deliveries
    assert set(outcomes) == state.answered
    assert set(deliveries) == state.delivered
    # Nothing is delivered before it has an outcome.
    answered: set[str] = set()
    for event in log:
        if isinstance(event, ReplyGenerated | ReplyFailed):
            answered.add(event.reply_to)
        elif isinstance(event, ReplyDelivered):
            assert event.reply_to in answered
    fallbacks = [e.fallback_text for e in log if isinstance(e, ReplyFailed)]
    assert state.last_fallback == (fallbacks[-1] if fallbacks else None)


@settings(max_examples=100, deadline=None)
@given(steps, st.sampled_from(MESSAGE_IDS))
def test_claims_come_only_for_answered_undelivered_messages(
    sequence: list[Step], message_id: str
) -> None:
    state, _ = run(sequence)
    claimed = decide(RecordClaim(message_id=message_id), state)
    waiting = message_id in state.answered and message_id not in state.delivered
    assert claimed == ([DeliveryClaimed(reply_to=message_id)] if waiting else [])
    # A message always decides to one MessageReceived, whatever the state.
    [received] = decide(
        ReceiveMessage(
            conversation=KEY,
            author_id="U1",
            author_name="Ada",
            text="again",
            platform_message_id="p1",
            token_count=2,
            route=Route.addressed(),
        ),
        state,
    )
    assert isinstance(received, MessageReceived)
