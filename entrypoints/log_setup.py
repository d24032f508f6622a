"""Log lines go to stderr, one per record, with every known secret redacted."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from lukas.application.redaction import Redactor
from lukas.domain.setting_values import SettingError, database_passwords
from lukas.domain.settings import DB, LOG_LEVEL


class RedactingFilter(logging.Filter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        return True


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Values of variables that by name hold credentials (…_API_KEY, …_TOKEN, …_SECRET),
    and the password in a LUKAS_DB database URL."""
    markers = ("KEY", "TOKEN", "SECRET", "PASSWORD")
    found = [v for k, v in environ.items() if any(m in k.upper() for m in markers) and v]
    return found + database_passwords(environ.get(DB.env, ""))


def _level(environ: Mapping[str, str]) -> str:
    """LUKAS_LOG_LEVEL, or the default when it is not one: logging starts before the
    configuration is read, and reading it names the mistake in one line."""
    try:
        return LOG_LEVEL.parse(environ.get(LOG_LEVEL.env) or LOG_LEVEL.default)
    except SettingError:
        return LOG_LEVEL.default


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    environ = os.environ if environ is None else environ
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("lukas: %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(Redactor(secret_values(environ))))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_level(environ))
    # Libraries' own chatter (HTTP requests and the like) stays out of the user's way.
    for noisy in ("httpx", "httpcore", "openai", "any_llm", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
