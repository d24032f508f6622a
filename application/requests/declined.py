"""Requests refused because the asker is not an admin: each attempt is remembered."""

from __future__ import annotations

from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.domain.events import RequestDeclined

DECLINED_STREAM = "declined-requests"


async def record_declined(
    store: EventStore,
    *,
    requester: str,
    what: str,
    request_id: str,
    instance_id: str | None = None,
) -> None:
    """Records the refusal once per request message (`request_id`)."""
    event_id = derive_event_id(DECLINED_STREAM, request_id)
    event = RequestDeclined(requester=requester, request=what, reason="not an admin")
    metadata = EventMetadata(event_id, request_id, instance_id)
    await store.append(DECLINED_STREAM, [NewEvent(event_id, event, metadata)], None)
