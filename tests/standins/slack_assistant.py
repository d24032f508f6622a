"""assistant.threads.setStatus, .setSuggestedPrompts and .setTitle for the Slack stand-in,
checked as Slack documents them, and what each thread shows as a result.

A status stays until it is set to "" or the app replies in the thread (Slack clears it
then; its two-minute timeout is not modelled). Everything here runs under the stand-in's
lock; the server calls it from its request handlers.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from standins.slack_streams import decoded, invalid_arguments, missing

_TS = re.compile(r"\d+\.\d+")
# Slack's documented limits: "Maximum of 10 messages", "up to four suggested prompts".
_MAX_LOADING_MESSAGES = 10
_MAX_PROMPTS = 4


@attrs.frozen
class AssistantThread:
    """What an assistant thread shows. `status` None: no status (never set, set to "", or
    cleared by a reply from the app)."""

    channel_id: str
    thread_ts: str
    status: str | None = None
    loading_messages: tuple[str, ...] = ()
    title: str | None = None
    prompts: tuple[dict[str, str], ...] = ()
    prompts_title: str | None = None


def _thread_error(args: dict[str, Any], *required: str) -> dict[str, Any] | None:
    error = missing(args, "channel_id", "thread_ts", *required)
    if error is not None:
        return error
    if not _TS.fullmatch(str(args["thread_ts"])):
        return {"ok": False, "error": "invalid_thread_ts", "detail": "Thread not found"}
    return None


def _strings(value: Any) -> list[str] | None:
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


class AssistantThreads:
    """Threads by (channel_id, thread_ts). The caller holds the stand-in's lock."""

    def __init__(self) -> None:
        self._threads: dict[tuple[str, str], AssistantThread] = {}

    def clear(self) -> None:
        self._threads.clear()

    def get(self, channel_id: str, thread_ts: str) -> AssistantThread | None:
        return self._threads.get((channel_id, thread_ts))

    def replied(self, channel_id: str, thread_ts: str) -> None:
        """The app posted in the thread: Slack takes the status down."""
        known = self._threads.get((channel_id, thread_ts))
        if known is not None and known.status is not None:
            self._put(attrs.evolve(known, status=None, loading_messages=()))

    def set_status(self, args: dict[str, Any]) -> dict[str, Any]:
        # An empty status is allowed (it clears the status), so only a missing one is refused.
        if "status" not in args:
            return invalid_arguments("missing required field: status")
        error = _thread_error(args)
        if error is not None:
            return error
        loading: list[str] = []
        if args.get("loading_messages") is not None:
            given = _strings(decoded(args["loading_messages"]))
            if given is None:
                return invalid_arguments("loading_messages must be an array of strings")
            if len(given) > _MAX_LOADING_MESSAGES:
                return invalid_arguments("loading_messages: no more than 10 items allowed")
            loading = given
        status = str(args["status"])
        thread = self._thread(args)
        self._put(
            attrs.evolve(
                thread,
                status=status or None,
                loading_messages=tuple(loading) if status else (),
            )
        )
        return {"ok": True}

    def set_suggested_prompts(self, args: dict[str, Any]) -> dict[str, Any]:
        error = _thread_error(args, "prompts")
        if error is not None:
            return error
        prompts = decoded(args["prompts"])
        if not isinstance(prompts, list) or not prompts:
            return invalid_arguments("prompts must be a non-empty array")
        if len(prompts) > _MAX_PROMPTS:
            return invalid_arguments("prompts: no more than 4 items allowed")
        for prompt in prompts:
            if not (
                isinstance(prompt, dict)
                and isinstance(prompt.get("title"), str)
                and isinstance(prompt.get("message"), str)
                and prompt["title"]
                and prompt["message"]
            ):
                return invalid_arguments("each prompt needs a title and a message")
        title = args.get("title")
        thread = self._thread(args)
        self._put(
            attrs.evolve(
                thread,
                prompts=tuple({"title": p["title"], "message": p["message"]} for p in prompts),
                prompts_title=str(title) if title else None,
            )
        )
        return {"ok": True}

    def set_title(self, args: dict[str, Any]) -> dict[str, Any]:
        error = _thread_error(args, "title")
        if error is not None:
            return error
        self._put(attrs.evolve(self._thread(args), title=str(args["title"])))
        return {"ok": True}

    def _thread(self, args: dict[str, Any]) -> AssistantThread:
        key = (str(args["channel_id"]), str(args["thread_ts"]))
        return self._threads.get(key) or AssistantThread(*key)

    def _put(self, thread: AssistantThread) -> None:
        self._threads[(thread.channel_id, thread.thread_ts)] = thread
