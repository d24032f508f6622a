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
