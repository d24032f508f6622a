"""Gathers a streamed chat completion, chunk by chunk, into what a whole response holds.

Chunks follow OpenAI's streaming format, which any-llm gives for every provider: text in
`delta.content`, tool calls in `delta.tool_calls` pieces keyed by index (the id and name in
the first piece, the arguments' JSON spread over the rest), `finish_reason` on the last
choice chunk and, when asked for with `stream_options.include_usage`, the usage in a final
chunk without choices.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class StreamedFunction:
    name: str = ""
    arguments: str = ""


@attrs.define
class StreamedToolCall:
    """Shaped like a whole response's tool call, so one screening serves both."""

    type: str = "function"
    function: StreamedFunction = attrs.Factory(StreamedFunction)


@attrs.define
class GatheredReply:
    model: str | None = None
    text_parts: list[str] = attrs.Factory(list)
    finish_reason: str | None = None
    usage: Any = None
    calls: dict[int, StreamedToolCall] = attrs.Factory(dict)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def tool_calls(self) -> list[StreamedToolCall]:
        return [self.calls[index] for index in sorted(self.calls)]

    def take(self, chunk: Any) -> str:
        """Fold one chunk in; returns the text it carried ("" for none)."""
        self.model = self.model or getattr(chunk, "model", None)
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            return ""
        choice = choices[0]
        if choice.finish_reason:
            self.finish_reason = str(choice.finish_reason)
        delta = choice.delta
        for piece in getattr(delta, "tool_calls", None) or []:
            call = self.calls.setdefault(int(piece.index or 0), StreamedToolCall())
            if getattr(piece, "type", None):
                call.type = str(piece.type)
            function = getattr(piece, "function", None)
            if function is not None:
                call.function.name += function.name or ""
                call.function.arguments += function.arguments or ""
        text = delta.content or ""
        if text:
            self.text_parts.append(text)
        return str(text)
