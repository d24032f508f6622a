"""The openai SDK's exceptions, classified into the image failure kinds Lukas records."""

from __future__ import annotations

import json
from collections.abc import Callable

import openai

from lukas.application.ports.images import ImageFailureKind

# The refusal's code, not its wording: DALL-E and GPT image models phrase it differently.
CONTENT_POLICY_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
# A 429 that waiting cannot fix: the account is out of credit and needs an admin, as a bad
# key does (the chat adapter files insufficient funds the same way).
_OUT_OF_CREDIT_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_DETAIL_LIMIT = 300


def classify(error: Exception) -> ImageFailureKind:
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ImageFailureKind.AUTHENTICATION
    if isinstance(error, openai.APIStatusError) and error.code in _OUT_OF_CREDIT_CODES:
        return ImageFailureKind.AUTHENTICATION
    if isinstance(error, openai.RateLimitError):
        return ImageFailureKind.RATE_LIMIT
    if isinstance(error, openai.BadRequestError) and error.code in CONTENT_POLICY_CODES:
        return ImageFailureKind.CONTENT_POLICY
    # APITimeoutError is an APIConnectionError, so it is asked about first.
    if isinstance(error, openai.APITimeoutError):
        return ImageFailureKind.TIMEOUT
    if isinstance(error, openai.APIConnectionError):
        return ImageFailureKind.CONNECTION
    if isinstance(error, openai.APIStatusError):
        if error.status_code == 408:
            return ImageFailureKind.TIMEOUT
        if 400 <= error.status_code < 500:
            return ImageFailureKind.BAD_REQUEST
    # 5xx, an answer that did not parse (json.JSONDecodeError escapes the SDK unwrapped),
    # or anything else the SDK raised: the provider's side went wrong.
    return ImageFailureKind.PROVIDER


def describe(error: Exception, redact: Callable[[str], str]) -> str:
    """A short account of `error` for logs and events, with every secret taken out."""
    if isinstance(error, openai.APIStatusError):
        body = error.body
        message = body.get("message") if isinstance(body, dict) else None
        code = f" ({error.code})" if error.code else ""
        text = f"HTTP {error.status_code}{code}: {message or error.message}"
    elif isinstance(error, json.JSONDecodeError):
        text = "the answer was not valid JSON"
    elif isinstance(error, openai.APIError):
        text = error.message
    else:
        text = f"{type(error).__name__}: {error}"
    return shorten(redact(text))


def shorten(text: str) -> str:
    # Redact before shortening: a key cut in half would no longer match the redactor.
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"
