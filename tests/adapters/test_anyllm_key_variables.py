"""The key-variable table agrees with any-llm itself, for every provider any-llm knows."""

from __future__ import annotations

import pytest
from any_llm import AnyLLM

from lukas.adapters.anyllm.key_variables import (
    KEY_VARIABLES,
    UnknownProviderError,
    key_variable,
)
from lukas.entrypoints.config import ConfigError
from lukas.entrypoints.provider_keys import provider_key_variable


def _any_llms_answer(provider: str) -> str | None:
    variable = AnyLLM.get_provider_class(provider).ENV_API_KEY_NAME
    # any-llm writes "no key" both ways.
    return None if variable in ("", "None") else variable


def _importable(provider: str) -> bool:
    try:
        AnyLLM.get_provider_class(provider)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("provider", AnyLLM.get_supported_providers())
def test_each_provider_any_llm_offers_has_its_own_variable_in_the_table(provider: str) -> None:
    if not _importable(provider):
        # Lukas cannot use it with the packages installed here, so it stays unknown, as it
        # was when any-llm was asked; installing its SDK should add it to the table.
        assert provider not in KEY_VARIABLES, f"{provider} cannot be imported here"
        return
    assert provider in KEY_VARIABLES, f"any-llm offers {provider}: add it to KEY_VARIABLES"
    assert KEY_VARIABLES[provider] == _any_llms_answer(provider)


def test_the_table_names_no_provider_any_llm_does_not_offer() -> None:
    assert set(KEY_VARIABLES) <= set(AnyLLM.get_supported_providers())


def test_a_provider_is_looked_up_however_it_is_spelled() -> None:
    assert key_variable(" OpenAI ") == "OPENAI_API_KEY"
    assert key_variable("ollama") is None


def test_an_unknown_provider_is_named_in_the_error() -> None:
    with pytest.raises(UnknownProviderError, match="teapot"):
        key_variable("teapot")
    with pytest.raises(ConfigError, match=r"unknown provider 'teapot'"):
        provider_key_variable("teapot:earl-grey")
