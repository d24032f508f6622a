"""`lukas forget PERSON --yes`: deletes a person's data keys, so every word they said or
were told reads as forgotten in the log, its checkpoints, and every command (ADR 27)."""

from __future__ import annotations

import getpass
import re
from typing import TextIO

from lukas.adapters.system_clock import SystemClock
from lukas.application.forgetting import CannotForgetError, Forgetting
from lukas.application.ports.data_keys import DataKeyError
from lukas.application.ports.event_store import EventStoreError
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.store_and_tokens import open_checkpoints, open_log

# Slack member ids: U... for people, W... for Enterprise Grid members.
_SLACK_MEMBER = re.compile(r"[UW][A-Z0-9]{2,}")


class ForgetError(EventStoreError):
    """Forgetting was refused or failed; said in one line, nothing half done."""


def person_id_of(person: str) -> str:
    """A Slack member id as it is; a console user's name as the console records them."""
    if ":" in person or _SLACK_MEMBER.fullmatch(person):
        return person
    return f"console:{person}"


async def forget(db: Location, person: str, *, confirmed: bool, out: TextIO) -> int:
    person_id = person_id_of(person)
    if not confirmed:
        raise ForgetError(
            f"this forgets everything {person_id} said to Lukas and was told by him, for "
            "good; run again with --yes to go ahead"
        )
    async with open_log(db, create=False) as log, open_checkpoints(db) as checkpoints:
        forgetting = Forgetting(
            store=log.store,
            keys=log.keys,
            checkpoints=checkpoints,
            clock=SystemClock(),
            held=[log.store],
            plain_before=log.store.plain_before,
        )
        try:
            done = await forgetting.forget(
                person_id, requested_by=f"cli:{getpass.getuser()}", via="command line"
            )
        except (CannotForgetError, DataKeyError) as error:
            raise ForgetError(str(error)) from error
    out.write(
        f"Forgot {person_id}: {done.keys_deleted} keys deleted from {log.keys_where}; "
        "their words now read as [forgotten].\n"
    )
    return 0
