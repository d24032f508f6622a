"""The provider key a configured model needs, named without importing any-llm."""

from __future__ import annotations

from lukas.adapters.anyllm.key_variables import UnknownProviderError, key_variable
from lukas.entrypoints.config import ConfigError


def provider_key_variable(model: str) -> str | None:
    """The environment variable holding the key for `provider:model`, None if keyless."""
    provider = model.partition(":")[0]
    try:
        return key_variable(provider)
    except UnknownProviderError:
        raise ConfigError(
            f"LUKAS_LLM_MODEL={model!r}: unknown provider {provider!r} "
            "(expected provider:model, e.g. openai:gpt-5.4-mini)"
        ) from None
