import hashlib

from lukas.domain.persona import FALLBACK_RESPONSES, PERSONA_SYSTEM_PROMPT

# SHA-256 of the seed's system prompt text, its mis-encoded bear emoji read as U+1F43B.
SEED_PROMPT_SHA256 = "8bf168db6c8aa9c0914469d103f8bbf4df9d29144935dfa97a0068053d71f3de"


def test_the_persona_is_the_seeds_text_exactly() -> None:
    digest = hashlib.sha256(PERSONA_SYSTEM_PROMPT.encode()).hexdigest()
    assert digest == SEED_PROMPT_SHA256
    assert PERSONA_SYSTEM_PROMPT.startswith("You are Lukas the Bear, a stuffed animal")
    assert "Uses \U0001f43b emoji naturally" in PERSONA_SYSTEM_PROMPT


def test_the_seeds_three_fallbacks_are_distinct() -> None:
    assert len(set(FALLBACK_RESPONSES)) == 3
    assert (
        FALLBACK_RESPONSES[1] == "My bear brain needs a quick nap! Give me a second to wake up..."
    )
