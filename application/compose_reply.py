"""Asks the model for a reply and, when none can be had, decides what Lukas says instead.

Every way this ends is a command for the conversation: a reply, or a failure carrying the
words sent in its place (a fallback phrase, a polite decline, a note that the message is
too long) and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import attrs

from lukas.application.admin_alerts import AdminAlerts
from lukas.application.context import ContextBuilder, Turn
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion
from lukas.application.ports.clock import Clock
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.ports.tool_actions import Author, ToolActions
from lukas.domain.context_window import ContextWindow
from lukas.domain.conversation import RecordFailure, RecordReply, choose_fallback
from lukas.domain.failures import FailureKind
from lukas.domain.persona import CONTENT_DECLINE, FALLBACK_RESPONSES, MESSAGE_TOO_LONG

log = logging.getLogger(__name__)


class ReplyComposer:
    def __init__(
        self,
        *,
        model: ChatModel,
        counter: TokenCounter,
        clock: Clock,
        context: ContextBuilder,
        random: Callable[[], float],
        alerts: AdminAlerts | None = None,
        credentials_hint: str = "the provider's API key",
        fallbacks: tuple[str, ...] = FALLBACK_RESPONSES,
        actions: ToolActions | None = None,
    ) -> None:
        self._model = model
        self._counter = counter
        self._clock = clock
        self._context = context
        self._random = random
        self._alerts = alerts
        self._credentials_hint = credentials_hint
        self._fallbacks = fallbacks
        # What the model may choose to do instead of answering; None: it only answers.
        self._actions = actions

    async def compose(
        self,
        message_id: str,
        entries: Sequence[Turn],
        last_fallback: str | None,
        author: Author | None = None,
    ) -> RecordReply | RecordFailure:
        """The reply to `message_id`; with an `author`, the model may choose a tool instead,
        and the reply is what carrying it out says."""
        actions = self._actions if author is not None else None
        window = self._context.build(entries, message_id)
        if not window.fits:
            return _too_long(message_id, window, self._context.limits.max_tokens)
        attempts, shrunk = 0, False
        while True:
            started = self._clock.monotonic()
            try:
                completion = await self._model.complete(
                    window.messages, actions.tools if actions else ()
                )
            except ChatModelError as error:
                attempts += error.attempts
                smaller = None if shrunk else self._smaller(entries, message_id, window, error)
                if smaller is None:
                    return await self._failed(message_id, error, attempts, last_fallback)
                log.info(
                    "context of %d tokens too long for %s; trying %d",
                    window.total_tokens,
                    self._model.name,
                    smaller.total_tokens,
                )
                window, shrunk = smaller, True
                continue
            if completion.tool_calls and actions is not None and author is not None:
                return await self._act(
                    message_id, completion, window, started, actions=actions, author=author
                )
            if not completion.text.strip():
                empty = ChatModelError(
                    FailureKind.EMPTY_REPLY, f"finish_reason={completion.finish_reason}"
                )
                return await self._failed(message_id, empty, attempts + 1, last_fallback)
            return self._reply(message_id, completion, window, started)

    async def _act(
        self,
        message_id: str,
        completion: Completion,
        window: ContextWindow,
        started: float,
        *,
        actions: ToolActions,
        author: Author,
    ) -> RecordReply:
        # One request per message: the first call is what the model chose.
        call = completion.tool_calls[0]
        text = await actions.act(call, author, message_id)
        acted = attrs.evolve(completion, text=text, finish_reason=f"tool_call:{call.name}")
        return self._reply(message_id, acted, window, started)

    def _smaller(
        self,
        entries: Sequence[Turn],
        message_id: str,
        window: ContextWindow,
        error: ChatModelError,
    ) -> ContextWindow | None:
        """Half the window, once, when the model said it was too long and history can go."""
        if error.kind is not FailureKind.CONTEXT_LENGTH or len(window.messages) <= 2:
            return None
        smaller = self._context.build(entries, message_id, max_tokens=window.total_tokens // 2)
        return smaller if len(smaller.messages) < len(window.messages) else None

    async def _failed(
        self, message_id: str, error: ChatModelError, attempts: int, last_fallback: str | None
    ) -> RecordFailure:
        # Without credentials every message fails the same way; the operator was told once.
        quiet = error.kind is FailureKind.MISSING_CREDENTIALS
        log.log(
            logging.INFO if quiet else logging.WARNING,
            "no reply from %s: %s",
            self._model.name,
            error,
        )
        if error.kind is FailureKind.AUTHENTICATION and self._alerts is not None:
            await self._alerts.alert(error.kind, self._authentication_alert(), message_id)
        if error.kind is FailureKind.CONTENT_FILTER:
            text = CONTENT_DECLINE
        else:
            text = choose_fallback(self._fallbacks, last_fallback, self._random())
        return RecordFailure(
            message_id=message_id,
            kind=error.kind,
            detail=error.detail,
            attempts=attempts,
            fallback_text=text,
        )

    def _authentication_alert(self) -> str:
        return (
            f"Lukas cannot authenticate with {self._model.name}: the provider rejected the "
            f"credentials. Check {self._credentials_hint} (set, current, allowed to use this "
            "model). Until then Lukas answers with fallback phrases."
        )

    def _reply(
        self, message_id: str, completion: Completion, window: ContextWindow, started: float
    ) -> RecordReply:
        return RecordReply(
            message_id=message_id,
            text=completion.text,
            provider=completion.provider,
            model=completion.model,
            usage=completion.usage,
            finish_reason=completion.finish_reason,
            latency_ms=round((self._clock.monotonic() - started) * 1000),
            context_tokens=window.total_tokens,
            token_count=self._counter.count(completion.text),
        )


def _too_long(message_id: str, window: ContextWindow, limit: int) -> RecordFailure:
    current = window.messages[-1]
    return RecordFailure(
        message_id=message_id,
        kind=FailureKind.MESSAGE_TOO_LONG,
        detail=f"{current.content_tokens} tokens in one message",
        attempts=0,
        fallback_text=MESSAGE_TOO_LONG.format(tokens=current.content_tokens, limit=limit),
    )
