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
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion, TextSink
from lukas.application.ports.clock import Clock
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.ports.tool_actions import Author, ToolActions
from lukas.domain.context_window import ContextWindow
from lukas.domain.conversation import RecordFailure, RecordReply, choose_fallback
from lukas.domain.failures import FailureKind
from lukas.domain.persona import (
    CONTENT_DECLINE,
    FALLBACK_RESPONSES,
    MESSAGE_TOO_LONG,
    STREAM_CUT_APOLOGY,
)

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
        *,
        on_text: TextSink | None = None,
    ) -> RecordReply | RecordFailure:
        """The reply to `message_id`; with an `author`, the model may choose a tool instead,
        and the reply is what carrying it out says.

        With `on_text` the model's text is handed there as it is written (see
        StreamWriter), and the outcome's text begins with everything handed over: a model
        failing after its first piece keeps those words, with an apology after them.
        """
        actions = self._actions if author is not None else None
        window = self._context.build(entries, message_id)
        if not window.fits:
            return _too_long(message_id, window, self._context.limits.max_tokens)
        attempts, shrunk = 0, False
        while True:
            started = self._clock.monotonic()
            heard = _Heard(self._clock, started, on_text)
            tools = actions.tools if actions else ()
            try:
                if on_text is None:
                    completion = await self._model.complete(window.messages, tools)
                else:
                    completion = await self._model.stream(window.messages, tools, on_text=heard)
            except ChatModelError as error:
                attempts += error.attempts
                if heard.text:
                    return self._cut_off(message_id, error, attempts, heard.text)
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
                    message_id, completion, window, heard, actions=actions, author=author
                )
            if not completion.text.strip():
                empty = ChatModelError(
                    FailureKind.EMPTY_REPLY, f"finish_reason={completion.finish_reason}"
                )
                return await self._failed(message_id, empty, attempts + 1, last_fallback)
            return self._reply(message_id, completion, window, heard)

    async def _act(
        self,
        message_id: str,
        completion: Completion,
        window: ContextWindow,
        heard: _Heard,
        *,
        actions: ToolActions,
        author: Author,
    ) -> RecordReply:
        # One request per message: the first call is what the model chose.
        call = completion.tool_calls[0]
        text = await actions.act(call, author, message_id)
        if heard.text.strip():  # words already shown stay; what was done follows them
            text = f"{heard.text}\n\n{text}"
        acted = attrs.evolve(completion, text=text, finish_reason=f"tool_call:{call.name}")
        return self._reply(message_id, acted, window, heard)

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

    def _cut_off(
        self, message_id: str, error: ChatModelError, attempts: int, said: str
    ) -> RecordFailure:
        """The model failed mid-reply: its words stay, an apology follows, nothing is said
        twice (no second answer is asked for)."""
        log.warning("%s stopped mid-reply: %s", self._model.name, error)
        return RecordFailure(
            message_id=message_id,
            kind=error.kind,
            detail=f"{error.detail}; cut off after {len(said)} characters",
            attempts=max(attempts, 1),
            fallback_text=f"{said}\n\n{STREAM_CUT_APOLOGY}",
        )

    def _reply(
        self, message_id: str, completion: Completion, window: ContextWindow, heard: _Heard
    ) -> RecordReply:
        started = heard.started
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
            first_text_ms=heard.first_text_ms,
        )


class _Heard:
    """Passes the model's pieces on, noting what was said and when the first came."""

    def __init__(self, clock: Clock, started: float, sink: TextSink | None) -> None:
        self._clock = clock
        self.started = started
        self._sink = sink
        self._pieces: list[str] = []
        self.first_text_ms: int | None = None

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    async def __call__(self, piece: str) -> None:
        if self.first_text_ms is None:
            self.first_text_ms = round((self._clock.monotonic() - self.started) * 1000)
        self._pieces.append(piece)
        if self._sink is not None:
            await self._sink(piece)


def _too_long(message_id: str, window: ContextWindow, limit: int) -> RecordFailure:
    current = window.messages[-1]
    return RecordFailure(
        message_id=message_id,
        kind=FailureKind.MESSAGE_TOO_LONG,
        detail=f"{current.content_tokens} tokens in one message",
        attempts=0,
        fallback_text=MESSAGE_TOO_LONG.format(tokens=current.content_tokens, limit=limit),
    )
