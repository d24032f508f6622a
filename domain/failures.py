"""Why a reply could not be had. Recorded in ReplyFailed so a replay explains every fallback."""

from __future__ import annotations

import enum


class FailureKind(enum.Enum):
    AUTHENTICATION = "authentication"
    MISSING_CREDENTIALS = "missing_credentials"
    RATE_LIMIT = "rate_limit"
    PROVIDER = "provider"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    BAD_REQUEST = "bad_request"
    CONTENT_FILTER = "content_filter"
    CONTEXT_LENGTH = "context_length"
    EMPTY_REPLY = "empty_reply"
    CIRCUIT_OPEN = "circuit_open"
    MESSAGE_TOO_LONG = "message_too_long"
    # Lukas was down when the message came and it is too old to answer now.
    MISSED = "missed"


# Worth another attempt: the provider may answer differently in a moment.
TRANSIENT_FAILURES = frozenset(
    {FailureKind.RATE_LIMIT, FailureKind.PROVIDER, FailureKind.CONNECTION, FailureKind.TIMEOUT}
)
# Evidence that the provider is unwell, counted by the circuit breaker. A bad key, a bad
# request or a filtered prompt says nothing about the provider's health.
PROVIDER_HEALTH_FAILURES = TRANSIENT_FAILURES | {FailureKind.EMPTY_REPLY}
