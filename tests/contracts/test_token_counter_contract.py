"""The token counter contract, run against every implementation: tiktoken and the fake.

Use cases and the context window rely only on these properties, never on exact counts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes.token_counter import FakeTokenCounter
from hypothesis import given
from hypothesis import strategies as st

from lukas.adapters.tokens.tiktoken_counter import DeferredTiktokenCounter, TiktokenCounter
from lukas.application.ports.token_counter import TokenCounter

IMPLEMENTATIONS: dict[str, Callable[[], TokenCounter]] = {
    "tiktoken": lambda: TiktokenCounter.for_model("openai:gpt-4"),
    "tiktoken, deferred": lambda: DeferredTiktokenCounter("openai:gpt-4"),
    "fake": FakeTokenCounter,
}

SPECIAL_TOKEN_TEXTS = [
    "<|endoftext|>",
    "before <|endoftext|> after",
    "<|fim_prefix|><|fim_middle|><|fim_suffix|>",
    "<|endofprompt|>",
    "<|im_start|>system<|im_end|>",
]


# Module scope: counters are immutable, and hypothesis refuses function-scoped fixtures
# because they would not be reset between generated examples.
@pytest.fixture(scope="module", params=sorted(IMPLEMENTATIONS))
def counter(request: pytest.FixtureRequest) -> TokenCounter:
    build = IMPLEMENTATIONS[request.param]
    return build()


def test_it_names_its_encoding(counter: TokenCounter) -> None:
    assert isinstance(counter.encoding_name, str)
    assert counter.encoding_name


def test_empty_text_has_no_tokens(counter: TokenCounter) -> None:
    assert counter.count("") == 0


@given(
    before=st.text(max_size=50),
    letter=st.characters(categories=["L"]),
    after=st.text(max_size=50),
)
def test_text_with_a_letter_has_tokens(
    counter: TokenCounter, before: str, letter: str, after: str
) -> None:
    assert counter.count(before + letter + after) > 0


@given(text=st.text(max_size=300))
def test_counting_is_deterministic_and_never_negative(counter: TokenCounter, text: str) -> None:
    first = counter.count(text)
    assert first >= 0
    assert counter.count(text) == first


@given(a=st.text(max_size=200), b=st.text(max_size=200))
def test_joining_two_texts_costs_about_the_sum(counter: TokenCounter, a: str, b: str) -> None:
    assert counter.count(a + " " + b) <= counter.count(a) + counter.count(b) + 2


@pytest.mark.parametrize("unit", ["bear", "Hello, world!", "Grüße aus Zürich.", "1234", "🐻"])
def test_more_repetitions_count_more(counter: TokenCounter, unit: str) -> None:
    counts = [counter.count(" ".join([unit] * n)) for n in (1, 2, 4, 8, 16, 64)]
    assert counts == sorted(set(counts)), counts


def test_a_fifty_thousand_character_message_is_counted(counter: TokenCounter) -> None:
    prose = ("Lukas, please summarise the sampling protocol we agreed on. " * 1000)[:50_000]
    assert len(prose) == 50_000
    assert 0 < counter.count(prose) <= len(prose)


@pytest.mark.parametrize("text", ["a" * 50_000, "!" * 50_000, "🐻" * 50_000])
def test_a_fifty_thousand_character_run_is_counted(counter: TokenCounter, text: str) -> None:
    assert counter.count(text) > 0


@pytest.mark.parametrize("text", SPECIAL_TOKEN_TEXTS)
def test_special_token_text_is_ordinary_text(counter: TokenCounter, text: str) -> None:
    assert counter.count(text) > 0
