"""People asking Lukas for a picture in chat: admins get one, others a kind no.

The permission check is here, in code: no prompt decides who may spend money on pictures.
"""

from __future__ import annotations

import logging

from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.make_picture import PictureMaker, PictureOutcome, PictureRequest
from lukas.application.ports.event_store import EventStore
from lukas.application.requests.declined import record_declined
from lukas.domain.images import ADMIN_ONLY_PICTURES, PICTURE_COMING, picture_ask_in

log = logging.getLogger(__name__)


class PictureRequests:
    def __init__(
        self,
        *,
        handler: MessageHandler,
        maker: PictureMaker,
        admins: tuple[str, ...],
        store: EventStore,
        instance_id: str | None = None,
    ) -> None:
        self._handler = handler
        self._maker = maker
        self._admins = frozenset(admins)
        self._store = store
        self._instance_id = instance_id

    async def take(self, incoming: IncomingMessage, channel: str) -> PictureOutcome | bool:
        """False when the message is not a picture request; otherwise handles it."""
        ask = picture_ask_in(incoming.text)
        if ask is None:
            return False
        if incoming.author_id not in self._admins:
            log.info("%s asked for a picture but is not an admin", incoming.author_id)
            declined = await self._handler.reply_directly(
                incoming, ADMIN_ONLY_PICTURES, "picture-declined"
            )
            if not declined.duplicate:
                await record_declined(
                    self._store,
                    requester=incoming.author_id,
                    what="ask for a picture",
                    request_id=declined.message_id,
                    instance_id=self._instance_id,
                )
            return True
        outcome = await self._handler.reply_directly(incoming, PICTURE_COMING, "picture")
        if outcome.duplicate:
            return True  # a redelivered request: the picture was handled the first time
        return await self._maker.make(
            PictureRequest(
                trigger="request",
                theme=ask.theme,
                occasion=ask.occasion,
                requester=incoming.author_id,
                post_to=channel,
            )
        )
