"""The chat model port through any-llm: one client per process, created inside the event loop.

any-llm is imported when first needed, not with this module: it takes about 2 s (it loads
the openai and anthropic SDKs' types whatever the provider), which start-up should not wait
for. `prepare()` starts that import in a background thread, so it is usually done by the
first message; the first `complete` waits for whatever is left of it.

any-llm raises its own exception classes only with `unified_exceptions=True`; the provider
SDK's own retries are off (`max_retries=0`) because retrying is Lukas's policy, not the SDK's.

Tools go out in OpenAI's function format, which any-llm translates for other providers; the
calls that come back are screened here, so only the port's promised shape crosses it.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from lukas.adapters.anyllm.model_profiles import GenerationSettings, request_parameters
from lukas.adapters.anyllm.streamed_reply import GatheredReply
from lukas.adapters.background_load import BackgroundLoad, LoadFailedError
from lukas.application.ports.chat_model import (
    ChatModelError,
    Completion,
    TextSink,
    Tool,
    ToolCall,
)
from lukas.application.redaction import Redactor
from lukas.domain.context_window import ContextMessage
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind

if TYPE_CHECKING:
    from any_llm import AnyLLM
    from any_llm.types.completion import ChatCompletionMessage

log = logging.getLogger(__name__)

# A little beyond the request time-out, for when a provider has no time-out of its own.
_GUARD_SECONDS = 5.0
# A tool name the model made up is only quoted in a log line; it need not be quoted whole.
_SHOWN_NAME_CHARS = 64


@attrs.frozen
class AnyLLMSettings:
    model: str  # provider:model
    api_key: str | None = attrs.field(default=None, repr=False)
    api_base: str | None = None
    generation: GenerationSettings = attrs.field(factory=GenerationSettings)
    timeout_seconds: float = 30.0
    # For an unlisted OpenAI-compatible server (a local Ollama): the name to record it under.
    compatible_name: str | None = None

    @property
    def provider(self) -> str:
        return self.compatible_name or self.model.partition(":")[0]

    @property
    def model_id(self) -> str:
        provider, _, model = self.model.partition(":")
        return model if model else provider


class AnyLLMChatModel:
    def __init__(self, settings: AnyLLMSettings, *, secrets: Iterable[str] = ()) -> None:
        """`secrets`: other credentials to keep out of error details, should a provider
        echo one back (the environment's keys and tokens)."""
        self._settings = settings
        self._client: AnyLLM | None = None
        self._sdk = BackgroundLoad(
            f"any-llm for {settings.provider}",
            _provider_loader(settings.compatible_name is not None, settings.provider),
        )
        self._redact = Redactor([*secrets, *([settings.api_key] if settings.api_key else [])])
        # Parameters this model refused once; not sent again in this process.
        self._refused: set[str] = set()
        # Refused only alongside tools (OpenAI's GPT-5 family takes no reasoning_effort with
        # function tools on Chat Completions): still sent when no tools are offered.
        self._refused_with_tools: set[str] = set()

    @property
    def name(self) -> str:
        return f"{self._settings.provider}:{self._settings.model_id}"

    def prepare(self) -> None:
        """Start importing any-llm and this provider's SDK in the background; returns at once."""
        self._sdk.start()

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        return await self._translated(messages, tuple(tools), None)

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        return await self._translated(messages, tuple(tools), on_text)

    async def _translated(
        self,
        messages: Sequence[ContextMessage],
        tools: tuple[Tool, ...],
        on_text: TextSink | None,
    ) -> Completion:
        """The call, with whatever it raises turned into a ChatModelError."""
        try:
            await self._sdk.ready()
            client = self._client or self._create_client()
            return await self._complete(client, messages, tools, on_text)
        except ChatModelError:
            raise
        except LoadFailedError as error:
            raise ChatModelError(FailureKind.PROVIDER, self._redact(str(error))) from None
        except TimeoutError as error:
            raise ChatModelError(
                FailureKind.TIMEOUT, f"no answer within {self._settings.timeout_seconds:g} s"
            ) from error
        # `from None`: the provider's exception may quote the key, and a chained cause would
        # carry it into any traceback that is ever printed.
        except Exception as error:  # a provider SDK's own error must not cross the port
            # any-llm is loaded by now: had it failed to load, LoadFailedError came instead.
            from lukas.adapters.anyllm.errors import is_any_llm_error, to_chat_model_error

            if is_any_llm_error(error):
                raise to_chat_model_error(error, self._redact(str(error))) from None
            detail = self._redact(f"{type(error).__name__}: {error}")
            raise ChatModelError(FailureKind.PROVIDER, detail) from None

    async def aclose(self) -> None:
        """Close the provider SDK's HTTP client while its event loop still runs."""
        client, self._client = self._client, None
        sdk_client = getattr(client, "client", None)
        close = getattr(sdk_client, "close", None) or getattr(sdk_client, "aclose", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result

    def _create_client(self) -> AnyLLM:
        """Called on first use, inside the running loop: a client bound to another loop fails."""
        from any_llm import AnyLLM

        settings = self._settings
        options: dict[str, Any] = {"unified_exceptions": True}
        if settings.compatible_name:
            self._client = AnyLLM.create_openai_compatible(
                settings.compatible_name,
                api_base=settings.api_base or "",
                api_key=settings.api_key,
                max_retries=0,
                **options,
            )
            return self._client
        provider_class = AnyLLM.get_provider_class(settings.provider)
        if provider_class.MAX_RETRIES_SUPPORT != "unsupported":
            options["max_retries"] = 0
        self._client = AnyLLM.create(
            settings.provider, api_key=settings.api_key, api_base=settings.api_base, **options
        )
        return self._client

    async def _complete(
        self,
        client: AnyLLM,
        messages: Sequence[ContextMessage],
        tools: tuple[Tool, ...],
        on_text: TextSink | None,
    ) -> Completion:
        from any_llm.exceptions import InvalidRequestError

        payload: list[dict[str, Any] | ChatCompletionMessage] = [
            {"role": m.role.value, "content": m.content} for m in messages
        ]
        streaming = on_text is not None and client.SUPPORTS_COMPLETION_STREAMING
        while True:
            wanted = request_parameters(
                self._settings.model_id, self._settings.generation, with_tools=bool(tools)
            )
            refused = set(self._refused)
            if tools:
                # "auto" is OpenAI's default with tools, so a provider that refuses it loses
                # nothing; the tools themselves are never dropped, as the caller relies on them.
                wanted["tool_choice"] = "auto"
                refused |= self._refused_with_tools
            if streaming:
                # Usage comes in a last chunk only when asked for; a provider that refuses
                # the option is remembered like any refused parameter.
                wanted["stream_options"] = {"include_usage": True}
            parameters = {name: value for name, value in wanted.items() if name not in refused}
            gathered = GatheredReply()
            try:
                if streaming:
                    assert on_text is not None
                    response = await self._call(client, payload, parameters, tools, stream=True)
                    await self._gather(response, gathered, on_text)
                else:
                    response = await self._call(client, payload, parameters, tools, stream=False)
            except InvalidRequestError as error:
                name = error.param if error.param in parameters else None
                # After text has gone out the request was taken: a refusal then is news.
                if name is None or parameters[name] is None or gathered.text_parts:
                    raise
                self._refuse(name, with_tools=bool(tools))
                continue
            if streaming:
                return self._streamed_completion(gathered, tools)
            completion = self._completion(response, tools)
            if on_text is not None and completion.text:
                await on_text(completion.text)  # a provider that cannot stream: one piece
            return completion

    async def _gather(self, response: Any, gathered: GatheredReply, on_text: TextSink) -> None:
        """Read the chunks, handing each piece of text on as it comes."""
        iterator = aiter(response)
        try:
            while True:
                # Each wait for a chunk is bounded: a stream that stalls is a time-out.
                with anyio.fail_after(self._settings.timeout_seconds + _GUARD_SECONDS):
                    try:
                        chunk = await anext(iterator)
                    except StopAsyncIteration:
                        return
                text = gathered.take(chunk)
                if text:
                    await on_text(text)
        finally:
            close = getattr(response, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()

    def _streamed_completion(self, gathered: GatheredReply, tools: tuple[Tool, ...]) -> Completion:
        return self._judged(
            gathered.text,
            gathered.finish_reason,
            list(gathered.tool_calls),
            model=gathered.model,
            usage=gathered.usage,
            tools=tools,
        )

    def _refuse(self, parameter: str, *, with_tools: bool) -> None:
        # A refusal seen with tools is only remembered for tools: the same parameter may be
        # what makes the replies without tools good. One the model also refuses without
        # tools costs one more request, the first time a call without tools sends it.
        if with_tools:
            self._refused_with_tools.add(parameter)
            log.warning(
                "%s refused the parameter %r alongside tools; sending it no more with tools "
                "in this run",
                self.name,
                parameter,
            )
            return
        self._refused.add(parameter)
        log.warning(
            "%s refused the parameter %r; sending it no more in this run", self.name, parameter
        )

    async def _call(
        self,
        client: AnyLLM,
        payload: list[dict[str, Any] | ChatCompletionMessage],
        parameters: dict[str, Any],
        tools: tuple[Tool, ...],
        *,
        stream: bool,
    ) -> Any:
        timeout = self._settings.timeout_seconds
        if client.TIMEOUT_SUPPORT != "unsupported":
            parameters = {**parameters, "timeout": timeout}
        if tools:
            # Only when offered: an empty list is not the same as none to every provider.
            parameters = {**parameters, "tools": [_function_tool(tool) for tool in tools]}
        with anyio.fail_after(timeout + _GUARD_SECONDS):
            return await client.acompletion(
                model=self._settings.model_id, messages=payload, stream=stream, **parameters
            )

    def _completion(self, response: Any, tools: tuple[Tool, ...]) -> Completion:
        if not response.choices:
            raise ChatModelError(FailureKind.EMPTY_REPLY, "the response had no choices")
        message = response.choices[0].message
        return self._judged(
            message.content or "",
            response.choices[0].finish_reason,
            list(message.tool_calls or []),
            model=response.model,
            usage=response.usage,
            tools=tools,
        )

    def _judged(
        self,
        text: str,
        finish_reason: object,
        asked: list[Any],
        *,
        model: object,
        usage: Any,
        tools: tuple[Tool, ...],
    ) -> Completion:
        """A whole or gathered answer as the port promises it."""
        reason = str(finish_reason or "unknown")
        if reason == "content_filter" and not text.strip():
            raise ChatModelError(FailureKind.CONTENT_FILTER, "the reply was filtered")
        calls = self._usable_calls(asked, {tool.name for tool in tools})
        if asked and not calls and not text.strip():
            # Only when something was dropped: an empty text alone stays a Completion, for
            # the use case to judge as it always has.
            detail = f"no text, and none of the {len(asked)} tool call(s) could be used"
            raise ChatModelError(FailureKind.EMPTY_REPLY, detail)
        return Completion(
            text=text,
            provider=self._settings.provider,
            model=str(model or self._settings.model_id),
            finish_reason=reason,
            usage=_usage(usage),
            tool_calls=calls,
        )

    def _usable_calls(self, asked: list[Any], offered: set[str]) -> tuple[ToolCall, ...]:
        """The calls that keep the port's promise, in the model's order; the rest are logged.

        The log names the tool and the reason only: arguments may quote the conversation.
        """
        usable: list[ToolCall] = []
        for call in asked:
            function = getattr(call, "function", None)
            if getattr(call, "type", None) != "function" or function is None:
                custom = getattr(call, "custom", None)
                self._drop(str(getattr(custom, "name", "") or ""), "it is not a function call")
                continue
            name = str(function.name or "")
            if name not in offered:
                self._drop(name, "it names a tool that was not offered")
                continue
            arguments = _json_object(function.arguments)
            if arguments is None:
                self._drop(name, "its arguments are not a JSON object")
                continue
            usable.append(ToolCall(name=name, arguments=arguments))
        return tuple(usable)

    def _drop(self, name: str, reason: str) -> None:
        # A made-up name is the model's text: redacted, then cut short, before it is logged.
        shown = self._redact(name)[:_SHOWN_NAME_CHARS]
        log.warning("%s asked to call %r; dropped, as %s", self.name, shown, reason)


def _provider_loader(compatible: bool, provider: str) -> Callable[[], object]:
    """What the first request imports: any-llm and the one provider module it will use."""

    def load() -> object:
        from any_llm import AnyLLM

        if compatible:
            from any_llm.providers.openai.custom import OpenAICompatibleProvider

            return OpenAICompatibleProvider
        return AnyLLM.get_provider_class(provider)

    return load


def _usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        total_tokens=usage.total_tokens or 0,
    )


def _function_tool(tool: Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": _plain(tool.parameters),
        },
    }


def _plain(value: Any) -> Any:
    """A copy of a schema in plain dicts and lists, which every provider SDK can serialise
    (a read-only mapping, say, is not JSON to them)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _json_object(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, str):
        return None
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None
