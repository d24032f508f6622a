"""Which environment variable holds each any-llm provider's key, known without any-llm.

Asking any-llm (`AnyLLM.get_provider_class(p).ENV_API_KEY_NAME`) imports its whole package,
about 2 s on a small machine, which `lukas config show` and start-up should not pay just to
name a variable. tests/adapters/test_anyllm_key_variables.py compares this table with
any-llm's own answer for every provider it knows, so the two cannot drift apart.

Providers whose any-llm module cannot be imported with the packages installed here (gemini
and vertexai need google-genai) are left out: they are as unknown to Lukas as they were when
any-llm was asked directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final


class UnknownProviderError(LookupError):
    """A provider any-llm (as installed here) does not offer."""


# None: the provider takes no key (a local server). "sagemaker" names two variables in one
# string because any-llm does; no single variable of that name is ever set.
KEY_VARIABLES: Final[Mapping[str, str | None]] = {
    "anthropic": "ANTHROPIC_API_KEY",
    "atlascloud": "ATLASCLOUD_API_KEY",
    "azure": "AZURE_API_KEY",
    "azureanthropic": "AZURE_ANTHROPIC_API_KEY",
    "azureopenai": "AZURE_OPENAI_API_KEY",
    "bedrock": "AWS_BEARER_TOKEN_BEDROCK",
    "cascadia": "CASCADIA_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "cohere": "COHERE_API_KEY",
    "dashscope": "DASHSCOPE_API_KEY",
    "databricks": "DATABRICKS_TOKEN",
    "deepinfra": "DEEPINFRA_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "edenai": "EDENAI_API_KEY",
    "fireworks": "FIREWORKS_API_KEY",
    "github": "GITHUB_TOKEN",
    "gmi": "GMI_API_KEY",
    "groq": "GROQ_API_KEY",
    "huggingface": "HF_TOKEN",
    "inception": "INCEPTION_API_KEY",
    "kenari": "KENARI_API_KEY",
    "liner": "LINER_API_KEY",
    "llama": "LLAMA_API_KEY",
    "llamacpp": "LLAMACPP_API_KEY",
    "llamafile": None,
    "lmstudio": "LM_STUDIO_API_KEY",
    "meta": "MODEL_API_KEY",
    "minimax": "MINIMAX_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "moonshot": "MOONSHOT_API_KEY",
    "mzai": "ANY_LLM_KEY",
    "nebius": "NEBIUS_API_KEY",
    "neosantara": "NEOSANTARA_API_KEY",
    "ollama": None,
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "otari": "OTARI_API_KEY",
    "ovhcloud": "OVHCLOUD_API_KEY",
    "perplexity": "PERPLEXITY_API_KEY",
    "portkey": "PORTKEY_API_KEY",
    "qiniu": "QINIU_API_KEY",
    "requesty": "REQUESTY_API_KEY",
    "sagemaker": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    "sambanova": "SAMBANOVA_API_KEY",
    "telnyx": "TELNYX_API_KEY",
    "together": "TOGETHER_API_KEY",
    "typesafe": "TYPESAFE_API_KEY",
    "vertexaianthropic": None,
    "vllm": "VLLM_API_KEY",
    "voyage": "VOYAGE_API_KEY",
    "watsonx": "WATSONX_API_KEY",
    "xai": "XAI_API_KEY",
    "zai": "ZAI_API_KEY",
}


def key_variable(provider: str) -> str | None:
    """The variable holding `provider`'s key, None if it takes none. Spelled as any-llm
    accepts it: case and surrounding spaces do not matter."""
    try:
        return KEY_VARIABLES[provider.strip().lower()]
    except KeyError:
        raise UnknownProviderError(provider) from None
