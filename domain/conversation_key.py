"""The stable identity of a conversation: a console session, a Slack DM or a Slack thread."""

from __future__ import annotations

import functools
import re

import attrs

_KEY = re.compile(r"^(console|slack-dm|slack-thread):[A-Za-z0-9._:-]{1,200}$")
_STREAM_PREFIX = "conversation:"


def _check(_instance: object, _attribute: object, value: str) -> None:
    if not _KEY.match(value):
        raise InvalidConversationKeyError(value)


class InvalidConversationKeyError(ValueError):
    def __init__(self, value: str) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(
            f"not a conversation key: {shown!r} "
            "(expected console:SESSION, slack-dm:CHANNEL or slack-thread:CHANNEL:TS)"
        )


@attrs.frozen(order=True)
class ConversationKey:
    """One conversation, one event stream. The key never changes once a conversation exists."""

    value: str = attrs.field(validator=_check)

    @classmethod
    def console(cls, session: str) -> ConversationKey:
        return cls(f"console:{session}")

    @classmethod
    def slack_dm(cls, channel: str) -> ConversationKey:
        return cls(f"slack-dm:{channel}")

    @classmethod
    def slack_thread(cls, channel: str, thread_ts: str) -> ConversationKey:
        return cls(f"slack-thread:{channel}:{thread_ts}")

    @classmethod
    def from_stream_id(cls, stream_id: str) -> ConversationKey | None:
        return _key_of_stream(stream_id)

    @property
    def thread(self) -> tuple[str, str] | None:
        """The channel and thread ts of a Slack thread conversation; None for the others."""
        kind, _, rest = self.value.partition(":")
        if kind != "slack-thread":
            return None
        channel, _, thread_ts = rest.partition(":")
        return channel, thread_ts

    @property
    def platform_channel(self) -> str | None:
        """The Slack channel (a DM's or a thread's) the conversation is in; None in a
        console."""
        kind, _, rest = self.value.partition(":")
        if kind not in ("slack-dm", "slack-thread"):
            return None
        return rest.partition(":")[0]

    @property
    def stream_id(self) -> str:
        return _STREAM_PREFIX + self.value

    def __str__(self) -> str:
        return self.value


# Projections ask this for every event they fold; a log has few streams and many events.
@functools.lru_cache(maxsize=4096)
def _key_of_stream(stream_id: str) -> ConversationKey | None:
    if not stream_id.startswith(_STREAM_PREFIX):
        return None
    return ConversationKey(stream_id.removeprefix(_STREAM_PREFIX))
