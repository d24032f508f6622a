"""The data-key port: one AES key per person and period, kept apart from the log (ADR 27).

Personal text is sealed in the log with these keys; deleting a person's keys forgets what
they said (crypto-shredding), since rows of the log are never changed. A key is never
written into an event, a log line or an error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

import attrs

# The length of a data key in bytes: AES-256.
KEY_BYTES = 32


@attrs.frozen
class DataKey:
    key_id: str  # random, named in each sealed field; never reused after a key is deleted
    person: str  # whose data it seals: a Slack member id, or "console:<user name>"
    period: str  # the ISO week ("2026-W49") whose data it seals, so retention can drop it
    secret: bytes = attrs.field(repr=False)


class DataKeyError(Exception):
    """The key store cannot be read or written (missing, damaged, no rights)."""


class DataKeys(Protocol):
    async def key_for(self, person: str, period: str) -> DataKey:
        """The person's key for that period. When there is none a new random one is made,
        and it is durable before it is returned: nothing is sealed with a key that a crash
        could lose. Two writers asking at once get the same key."""
        ...

    async def find(self, key_ids: Collection[str]) -> Mapping[str, DataKey]:
        """The keys among `key_ids` that still exist; a deleted one is simply absent."""
        ...

    async def forget_person(self, person: str) -> int:
        """Deletes every key of the person, so that no byte of them stays in the key
        store's files (free pages and journal included). Returns how many there were."""
        ...

    async def drop_before(self, period: str) -> int:
        """Deletes, as forget_person does, every key of a period before `period`."""
        ...

    async def first_opened_empty(self, log_is_empty: bool) -> bool:
        """Whether the log was empty when it was first opened with this key store; the
        first call records `log_is_empty`, later calls return what was recorded. False:
        the log holds events written before sealing (or its key store was lost), whose
        words are in the clear until the log is rewritten."""
        ...

    async def epoch(self) -> int:
        """A number that grows whenever keys are deleted, so that a process holding keys
        in memory can tell that some it holds may be gone."""
        ...
