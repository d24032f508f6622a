"""Which conversation a stream is, remembered by a fold: a log has few streams and many
events, and a key is validated when it is made."""

from __future__ import annotations

from lukas.domain.conversation_key import ConversationKey

# Far more streams than a team's log holds in a year; past it, the fold starts over.
_MOST_REMEMBERED = 100_000


class ConversationKeys:
    """stream id -> its conversation key, or None for a stream that is no conversation."""

    def __init__(self) -> None:
        self._known: dict[str, ConversationKey | None] = {}

    def of(self, stream_id: str) -> ConversationKey | None:
        try:
            return self._known[stream_id]
        except KeyError:
            if len(self._known) >= _MOST_REMEMBERED:
                self._known.clear()
            key = self._known[stream_id] = ConversationKey.from_stream_id(stream_id)
            return key
