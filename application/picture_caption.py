"""A one-line caption in Lukas's voice for a picture, from the model, or a fixed one per theme."""

from __future__ import annotations

import logging

from lukas.application.ports.chat_model import ChatModel, ChatModelError
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.images import CAPTIONS
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT

log = logging.getLogger(__name__)
_MAX_CAPTION = 300


class Captioner:
    def __init__(self, model: ChatModel | None) -> None:
        self._model = model

    async def caption(self, theme: str | None, occasion: str | None) -> str:
        fixed = CAPTIONS.get(theme, CAPTIONS[None])
        if self._model is None:
            return fixed
        about = ", ".join(p for p in (theme, occasion) if p) or "a cheerful week"
        ask = (
            "Write one short caption (under 20 words) to post with this week's picture of you"
            f" for the team. The picture's theme: {about}. Reply with the caption only."
        )
        messages = [
            ContextMessage(Role.SYSTEM, PERSONA_SYSTEM_PROMPT, 0),
            ContextMessage(Role.USER, ask, 0),
        ]
        try:
            completion = await self._model.complete(messages)
        except ChatModelError as error:
            log.info("no caption from the model (%s); using the fixed one", error.kind.value)
            return fixed
        text = completion.text.strip().strip('"')
        return text[:_MAX_CAPTION] if text else fixed
