"""Which messages the model sees: the persona, then recent exchanges, cut to a token budget.

Token counts arrive with the messages (they were computed once, when each event was
created), so cutting the window is arithmetic and never re-encodes history.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from lukas.domain.personal_data import FORGOTTEN, is_forgotten

# Every chat message costs a few tokens of framing beyond its text (role markers);
# the seed's estimate adds 4 per message.
MESSAGE_OVERHEAD_TOKENS = 4


def as_spoken(author_name: str, text: str) -> str:
    """A person's message as the model reads it: who said it, then what they said.

    The persona asks Lukas to use people's names, and a thread has several speakers. A
    forgotten message stays forgotten as a whole, so the context can leave it out.
    """
    if is_forgotten(text):
        return FORGOTTEN
    return f"{author_name}: {text}"


class Role(enum.Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@attrs.frozen
class ContextMessage:
    role: Role
    content: str
    content_tokens: int

    @property
    def tokens(self) -> int:
        return self.content_tokens + MESSAGE_OVERHEAD_TOKENS


@attrs.frozen
class Exchange:
    """One thing a person said and, if the model answered it, the answer.

    An exchange Lukas opened (a check-in) has his words and no person's before them.
    """

    user: ContextMessage | None
    assistant: ContextMessage | None = None

    @property
    def messages(self) -> tuple[ContextMessage, ...]:
        return tuple(m for m in (self.user, self.assistant) if m is not None)

    @property
    def tokens(self) -> int:
        return sum(message.tokens for message in self.messages)


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, not {value}")


@attrs.frozen
class ContextLimits:
    max_pairs: int = attrs.field(default=10, validator=_positive)
    max_tokens: int = attrs.field(default=4000, validator=_positive)


@attrs.frozen
class ContextWindow:
    messages: tuple[ContextMessage, ...]
    total_tokens: int
    dropped_pairs: int
    # False when the persona and the current message alone exceed the budget.
    fits: bool
    # Earlier messages left out because their words were forgotten (ADR 27).
    forgotten: int = 0


def build_context_window(
    system: ContextMessage,
    history: Sequence[Exchange],
    current: ContextMessage,
    limits: ContextLimits,
) -> ContextWindow:
    """The system prompt, at most `max_pairs` earlier exchanges, then the current message.

    The oldest exchanges go first until the estimate is within `max_tokens`; the system
    prompt and the current message are never dropped. Forgotten words are never sent: an
    exchange keeps only what is still remembered of it.
    """
    remembered = [_remembered(exchange) for exchange in history]
    pairs = zip(history, remembered, strict=True)
    forgotten = sum(len(was.messages) - len(now.messages) for was, now in pairs)
    history = [exchange for exchange in remembered if exchange.messages]
    kept = list(history[-limits.max_pairs :])
    dropped = len(history) - len(kept)
    fixed = system.tokens + current.tokens
    total = fixed + sum(exchange.tokens for exchange in kept)
    while kept and total > limits.max_tokens:
        total -= kept.pop(0).tokens
        dropped += 1
    messages = (system, *(m for exchange in kept for m in exchange.messages), current)
    return ContextWindow(
        messages=messages,
        total_tokens=total,
        dropped_pairs=dropped,
        fits=fixed <= limits.max_tokens,
        forgotten=forgotten,
    )


def _remembered(exchange: Exchange) -> Exchange:
    user, assistant = exchange.user, exchange.assistant
    if not (user and is_forgotten(user.content)) and not (
        assistant and is_forgotten(assistant.content)
    ):
        return exchange
    return Exchange(
        None if user is None or is_forgotten(user.content) else user,
        None if assistant is None or is_forgotten(assistant.content) else assistant,
    )
