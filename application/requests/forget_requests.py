"""Forget requests made in chat: asked, then confirmed within minutes, in Lukas's voice.

Who may ask is the desk's to decide; this module asks the Forgetting use case and says
what happened. Forgetting cannot be undone, so a request only records the wish, and the
words go once the same person confirms.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lukas.application.forgetting import CannotForgetError, Forgetting
from lukas.domain.forgetting import CONFIRM_WITHIN

log = logging.getLogger(__name__)

_MINUTES = int(CONFIRM_WITHIN.total_seconds() // 60)
ASK_ME = (
    "Are you sure? 🐻 If I forget you, everything you said to me and everything I said to"
    " you is gone for good: I can't undo it, not even with honey. To go ahead, say"
    f' "yes, forget me" within {_MINUTES} minutes.'
)
ASK_THEM = (
    "Are you sure? 🐻 This erases everything {name} said to me and everything I said to"
    ' them, for good: it can\'t be undone. To go ahead, say "yes, forget them" within'
    f" {_MINUTES} minutes."
)
NOTHING_WAITING = (
    "There's nothing waiting for you to confirm 🐻 A forget request lasts"
    f' {_MINUTES} minutes; say "forget me" to start again.'
)
FORGOT_ME = "Done: I have forgotten everything you and I said to each other. 🐻"
FORGOT_THEM = "Done: I have forgotten everything {name} and I said to each other. 🐻"
CANNOT = "I'm sorry, I can't forget just yet 🐻 {reason}. Nothing was forgotten."


class ForgetRequests:
    def __init__(self, forgetting: Forgetting) -> None:
        self._forgetting = forgetting

    async def ask(self, person_id: str, name: str, *, requested_by: str, via: str) -> str:
        """Records the request; the answer tells the asker how to confirm."""
        try:
            await self._forgetting.ask(person_id, requested_by=requested_by, via=via)
        except CannotForgetError as error:
            return _cannot(error)
        return ASK_ME if person_id == requested_by else ASK_THEM.format(name=name)

    async def confirm(
        self, requested_by: str, name_of: Mapping[str, str], *, via: str, request_id: str
    ) -> str:
        """Carries out `requested_by`'s waiting request; `name_of` names the people it may
        be about, read before their names are forgotten with the rest."""
        try:
            done = await self._forgetting.confirm(requested_by, via=via, request_id=request_id)
        except CannotForgetError as error:
            return _cannot(error)
        if done is None:
            return NOTHING_WAITING
        log.info("%s forgotten at the request of %s", done.person_id, requested_by)
        if done.person_id == requested_by:
            return FORGOT_ME
        return FORGOT_THEM.format(name=name_of.get(done.person_id, done.person_id))

    async def waiting_for(self, requested_by: str) -> str | None:
        return await self._forgetting.waiting_for(requested_by)


def _cannot(error: CannotForgetError) -> str:
    log.warning("forgetting refused: %s", error)
    reason = str(error)
    return CANNOT.format(reason=reason[:1].upper() + reason[1:])
