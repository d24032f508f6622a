"""any-llm's unified exceptions, classified into the failure kinds Lukas records."""

from __future__ import annotations

import any_llm.exceptions as llm_errors

from lukas.application.ports.chat_model import ChatModelError
from lukas.domain.failures import FailureKind

_BY_CLASS: tuple[tuple[type[Exception], FailureKind], ...] = (
    (llm_errors.MissingApiKeyError, FailureKind.MISSING_CREDENTIALS),
    (llm_errors.AuthenticationError, FailureKind.AUTHENTICATION),
    # Out of credit needs the same person as a bad key: an admin, not a retry.
    (llm_errors.InsufficientFundsError, FailureKind.AUTHENTICATION),
    (llm_errors.RateLimitError, FailureKind.RATE_LIMIT),
    (llm_errors.ContentFilterError, FailureKind.CONTENT_FILTER),
    (llm_errors.ContextLengthExceededError, FailureKind.CONTEXT_LENGTH),
    (llm_errors.ModelNotFoundError, FailureKind.BAD_REQUEST),
    (llm_errors.InvalidRequestError, FailureKind.BAD_REQUEST),
    (llm_errors.UnsupportedParameterError, FailureKind.BAD_REQUEST),
    (llm_errors.UnsupportedProviderError, FailureKind.BAD_REQUEST),
    (llm_errors.GatewayTimeoutError, FailureKind.TIMEOUT),
)


def _transport_kind(error: BaseException | None) -> FailureKind | None:
    """any-llm files time-outs and dropped connections under ProviderError; tell them apart."""
    while error is not None:
        name = type(error).__name__
        if isinstance(error, TimeoutError) or "Timeout" in name:
            return FailureKind.TIMEOUT
        if "Connect" in name or "RemoteProtocol" in name:
            return FailureKind.CONNECTION
        error = error.__cause__ or error.__context__
    return None


def is_any_llm_error(error: Exception) -> bool:
    return isinstance(error, llm_errors.AnyLLMError)


def classify(error: Exception) -> FailureKind:
    for cls, kind in _BY_CLASS:
        if isinstance(error, cls):
            return kind
    original = getattr(error, "original_exception", None) or error
    return _transport_kind(original) or FailureKind.PROVIDER


def retry_after_seconds(error: Exception) -> float | None:
    value = getattr(error, "retry_after", None)
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date; rare enough to treat as "no hint"
        return None


def to_chat_model_error(error: Exception, detail: str) -> ChatModelError:
    return ChatModelError(classify(error), detail, retry_after=retry_after_seconds(error))
