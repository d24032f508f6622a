"""Which request parameters a model takes, by model family.

Reasoning models (OpenAI's GPT-5 and o-series) refuse any temperature but the default and
count hidden reasoning inside `max_completion_tokens`; classic chat models take the seed's
temperature and visible-token budget. Unknown models are treated as classic; configuration
(`LUKAS_LLM_REASONING`) overrides the table for a model it gets wrong.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

ReasoningMode = Literal["auto", "yes", "no"]

_REASONING_FAMILIES = re.compile(r"^(gpt-5|o1|o3|o4)([.-]|$)")
# GPT-5.2 and later refuse function tools with any reasoning effort on Chat Completions;
# from 5.6 even the default effort counts, so only an explicit "none" is accepted.
# A tool call's arguments are written in the visible budget: an announcement cut off at
# 150 tokens would be JSON that does not parse, and the call would be lost.
TOOL_CALL_TOKENS = 600
_NO_REASONING_WITH_TOOLS = re.compile(r"^gpt-5\.([2-9]|[1-9][0-9])([.-]|$)")


def is_reasoning_model(model: str, mode: ReasoningMode = "auto") -> bool:
    if mode != "auto":
        return mode == "yes"
    return bool(_REASONING_FAMILIES.match(model.lower()))


@attrs.frozen
class GenerationSettings:
    temperature: float = 0.7
    max_tokens: int = 150
    reasoning_effort: str = "low"
    reasoning: ReasoningMode = "auto"
    # Hidden reasoning is spent from the same budget before any visible word.
    reasoning_headroom: int = 2000


def request_parameters(
    model: str, settings: GenerationSettings, *, with_tools: bool = False
) -> dict[str, Any]:
    """The generation parameters to send to `model` (without the ones it has refused)."""
    if is_reasoning_model(model, settings.reasoning):
        effort = settings.reasoning_effort
        if with_tools and _NO_REASONING_WITH_TOOLS.match(model.lower()):
            effort = "none"
        return {
            "max_completion_tokens": settings.max_tokens + settings.reasoning_headroom,
            "reasoning_effort": effort,
        }
    return {
        "temperature": settings.temperature,
        "max_tokens": max(settings.max_tokens, TOOL_CALL_TOKENS)
        if with_tools
        else settings.max_tokens,
        "reasoning_effort": None,
    }
