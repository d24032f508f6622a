"""The chat model port: send the context window, get a reply or a classified failure.

With tools offered, the model may also ask for them to be called. The port promises that
every ToolCall names a tool that was offered in that call and carries its arguments as a
dict; a call that breaks either promise is dropped by the adapter, never passed on.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind

# The names OpenAI, Anthropic and Gemini all accept; one outside it fails the whole request.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _valid_tool_name(_: object, attribute: attrs.Attribute[str], name: str) -> None:
    if not _TOOL_NAME.fullmatch(name):
        raise ValueError(f"a tool's name is 1 to 64 letters, digits, _ or -; got {name!r}")


@attrs.frozen
class Tool:
    """Something the model may ask Lukas to do, described as the model will read it."""

    name: str = attrs.field(validator=_valid_tool_name)
    description: str
    parameters: Mapping[str, Any]  # a JSON Schema object for the arguments


@attrs.frozen
class ToolCall:
    """The model asking for `name` to be run.

    `arguments` is always a dict, decoded from the provider's JSON, but it is the model's
    guess: nothing has checked it against the tool's schema, so the tool must.
    """

    name: str
    arguments: Mapping[str, Any]


@attrs.frozen
class Completion:
    text: str
    provider: str
    model: str
    finish_reason: str  # as the provider said: "tool_calls" even when every call was dropped
    usage: Usage | None
    tool_calls: tuple[ToolCall, ...] = ()


# Takes each piece of a reply's text as the model writes it.
TextSink = Callable[[str], Awaitable[None]]


class ChatModelError(Exception):
    """A model call that failed, classified so the use case can decide what to do."""

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail  # never holds a secret: adapters redact before raising
        self.attempts = attempts
        # Seconds the provider asked us to wait before trying again, when it said.
        self.retry_after = retry_after


class ChatModel(Protocol):
    @property
    def name(self) -> str:
        """`provider:model`, for logs and events."""
        ...

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        """Raises ChatModelError; never a provider's own exception.

        Without tools the model answers in text, which may be empty (a reasoning model that
        spent its budget thinking): judging an empty reply is the use case's business.

        With tools the model may answer with text, with tool calls (in the order the model
        gave them), or both; the model decides (tool_choice "auto"). A call naming a tool
        that was not offered, or whose arguments are not a JSON object, is dropped and logged
        as a WARNING (the tool name and why, never the arguments). If dropping leaves neither
        text nor a tool call, the call fails as EMPTY_REPLY: the model did answer, just with
        nothing Lukas can use. A reply filtered to no text is CONTENT_FILTER as always, tool
        calls or not, since a filtered generation may have been cut mid-call.
        """
        ...

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        """As `complete`, handing the reply's text to `on_text` piece by piece while the model
        writes it; the Completion's text is the pieces joined. Empty pieces are never handed
        on. A provider that cannot stream hands the whole text over as one piece.

        A failure before the first piece is raised as from `complete`. A failure after it is
        raised as a ChatModelError too; the pieces handed over stay the caller's business
        (nothing is taken back). Tool calls are gathered and returned with the Completion.
        """
        ...
