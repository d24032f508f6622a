from __future__ import annotations

import anyio
import attrs

from lukas.application.ports.chat_channel import DeliveryError, Rateable, StreamNotOpenError
from lukas.domain.conversation_key import ConversationKey


@attrs.frozen
class Sent:
    conversation: ConversationKey
    in_reply_to: str
    text: str
    feedback: Rateable | None = None


@attrs.define
class FakeStream:
    """A reply written as it came: its pieces in order, then how it was closed."""

    conversation: ConversationKey
    in_reply_to: str
    recipient: str | None
    pieces: list[str] = attrs.Factory(list)
    stopped: bool = False
    feedback: Rateable | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class FakeChatChannel:
    """Keeps what was sent; can be told to refuse the next deliveries.

    With `streams`, every conversation takes streamed replies, kept in `streams` by id.
    `refuse_next` refuses posts and stream closings alike (both are a reply's delivery);
    `refuse_streams` refuses opening and writing streams.
    """

    def __init__(self, *, streams: bool = False) -> None:
        self.sent: list[Sent] = []
        self.alerts: list[tuple[tuple[str, ...], str]] = []
        self.thinking: list[str] = []  # in_reply_to ids, while a reply is being made
        self.refuse_next = 0
        self.refuse_streams = 0
        self.streaming = streams
        self.streams: dict[str, FakeStream] = {}
        # Everything shown, posts and streams, in the order each began.
        self.shown: list[Sent | FakeStream] = []
        self.first_piece = anyio.Event()  # set when any stream is first written to

    async def send_reply(
        self,
        conversation: ConversationKey,
        in_reply_to: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> str:
        self._maybe_refuse()
        self.sent.append(Sent(conversation, in_reply_to, text, feedback))
        self.shown.append(self.sent[-1])
        return f"posted-{len(self.sent)}"

    def streams_in(self, conversation: ConversationKey) -> bool:
        return self.streaming

    async def start_stream(
        self, conversation: ConversationKey, in_reply_to: str, *, recipient: str | None = None
    ) -> str:
        self._maybe_refuse_stream()
        stream_id = f"stream-{len(self.streams) + 1}"
        self.streams[stream_id] = FakeStream(conversation, in_reply_to, recipient)
        self.shown.append(self.streams[stream_id])
        return stream_id

    async def append_stream(self, conversation: ConversationKey, stream_id: str, text: str) -> None:
        self._maybe_refuse_stream()
        self._open(stream_id).pieces.append(text)
        self.first_piece.set()

    async def stop_stream(
        self,
        conversation: ConversationKey,
        stream_id: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> None:
        stream = self._open(stream_id)
        self._maybe_refuse()
        if text:
            stream.pieces.append(text)
        stream.stopped, stream.feedback = True, feedback

    def _open(self, stream_id: str) -> FakeStream:
        stream = self.streams.get(stream_id)
        if stream is None or stream.stopped:
            raise StreamNotOpenError(f"{stream_id} is not streaming")
        return stream

    def _maybe_refuse(self) -> None:
        if self.refuse_next:
            self.refuse_next -= 1
            raise DeliveryError("the fake platform is down")

    def _maybe_refuse_stream(self) -> None:
        if self.refuse_streams:
            self.refuse_streams -= 1
            raise DeliveryError("the fake platform refuses streams")

    async def find_reply(self, conversation: ConversationKey, in_reply_to: str) -> str | None:
        for number, sent in enumerate(self.sent, 1):
            if (sent.conversation, sent.in_reply_to) == (conversation, in_reply_to):
                return f"posted-{number}"
        return None

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        self.alerts.append((admins, text))

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        self.thinking.append(in_reply_to)

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        self.thinking.remove(in_reply_to)
