from hypothesis import given
from hypothesis import strategies as st

from lukas.domain.context_window import (
    MESSAGE_OVERHEAD_TOKENS,
    ContextLimits,
    ContextMessage,
    Exchange,
    Role,
    build_context_window,
)

SYSTEM = ContextMessage(Role.SYSTEM, "persona", 100)


def exchange(n: int, tokens: int = 10, answered: bool = True) -> Exchange:
    reply = ContextMessage(Role.ASSISTANT, f"a{n}", tokens) if answered else None
    return Exchange(ContextMessage(Role.USER, f"u{n}", tokens), reply)


def current(tokens: int = 10) -> ContextMessage:
    return ContextMessage(Role.USER, "now", tokens)


def test_system_prompt_first_then_pairs_in_order_then_the_message() -> None:
    window = build_context_window(SYSTEM, [exchange(1), exchange(2)], current(), ContextLimits())
    assert [m.content for m in window.messages] == ["persona", "u1", "a1", "u2", "a2", "now"]
    assert [m.role for m in window.messages][:2] == [Role.SYSTEM, Role.USER]
    assert window.total_tokens == sum(m.tokens for m in window.messages)
    assert window.fits
    assert window.dropped_pairs == 0


def test_only_the_last_ten_pairs_are_kept() -> None:
    history = [exchange(n) for n in range(15)]
    window = build_context_window(SYSTEM, history, current(), ContextLimits())
    assert window.messages[1].content == "u5"
    assert len(window.messages) == 1 + 2 * 10 + 1
    assert window.dropped_pairs == 5


def test_oldest_pairs_go_first_until_the_budget_holds() -> None:
    # Each pair costs 2 * (100 + 4) = 208; system and current 104 + 14 = 118.
    history = [exchange(n, tokens=100) for n in range(10)]
    window = build_context_window(SYSTEM, history, current(), ContextLimits(max_tokens=1000))
    assert [m.content for m in window.messages[1:3]] == ["u6", "a6"]
    assert window.total_tokens == 118 + 4 * 208
    assert window.dropped_pairs == 6


def test_an_unanswered_message_is_a_pair_of_one() -> None:
    history = [exchange(1, answered=False), exchange(2)]
    window = build_context_window(SYSTEM, history, current(), ContextLimits())
    assert [m.content for m in window.messages] == ["persona", "u1", "u2", "a2", "now"]


def test_a_message_too_big_for_the_budget_does_not_fit() -> None:
    window = build_context_window(
        SYSTEM, [exchange(1)], current(tokens=5000), ContextLimits(max_tokens=4000)
    )
    assert not window.fits
    assert [m.content for m in window.messages] == ["persona", "now"]


@given(
    sizes=st.lists(st.integers(0, 600), max_size=30),
    max_pairs=st.integers(1, 12),
    max_tokens=st.integers(200, 5000),
)
def test_the_window_is_a_suffix_within_every_limit(
    sizes: list[int], max_pairs: int, max_tokens: int
) -> None:
    history = [exchange(n, tokens=size) for n, size in enumerate(sizes)]
    limits = ContextLimits(max_pairs=max_pairs, max_tokens=max_tokens)
    window = build_context_window(SYSTEM, history, current(), limits)
    kept = (len(window.messages) - 2) // 2
    assert kept <= max_pairs
    assert window.total_tokens <= max_tokens
    assert window.total_tokens == sum(m.tokens for m in window.messages)
    # The kept pairs are the newest ones, in order, and one more would break a limit.
    assert [m.content for m in window.messages[1:-1:2]] == [f"u{n}" for n in range(len(sizes))][
        len(sizes) - kept :
    ]
    if kept < min(len(sizes), max_pairs):
        next_older = history[len(sizes) - kept - 1]
        assert window.total_tokens + next_older.tokens > max_tokens
    assert MESSAGE_OVERHEAD_TOKENS == 4
