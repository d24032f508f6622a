"""People's verdicts on Lukas's replies: each click on the good or bad button recorded once
per person and reply, a click on the other button changing it (domain/feedback.py).

Recorded before the platform's delivery of the click is acknowledged, like a message: a
click acknowledged is a click kept.
"""

from __future__ import annotations

from lukas.application.identity import feedback_stream_id
from lukas.application.ports.chat_channel import Rateable
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.streams import decide_on_stream
from lukas.domain.feedback import FEEDBACK, GiveFeedback


class FeedbackBox:
    def __init__(self, store: EventStore, *, instance_id: str | None = None) -> None:
        self._store = store
        self._instance_id = instance_id

    async def give(
        self, platform_message_id: str, reply: Rateable, person_id: str, *, good: bool
    ) -> bool:
        """Record the click; False when it changes nothing (the same verdict again)."""
        stream = feedback_stream_id(platform_message_id)
        command = GiveFeedback(
            platform_message_id=platform_message_id,
            reply_to=reply.reply_to,
            model=reply.model,
            person_id=person_id,
            good=good,
        )
        metadata = EventMetadata(stream, None, self._instance_id)
        decided = await decide_on_stream(self._store, stream, FEEDBACK, command, metadata)
        return bool(decided.events)
