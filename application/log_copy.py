"""Copying a whole log from one store to another (`lukas migrate`): positions, ids, times
and metadata kept, event data copied as the source gives it (`lukas migrate` gives it
sealed with the target's keys).

Resumable: what the target already holds must be the start of the source's log, and the
copy goes on after it, one transaction per batch, so a copy stopped anywhere loses nothing
and repeats nothing. Verified at the end: the same number of events and the same checksum
over every field of every event, read back from both stores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import attrs

from lukas.application.ports.event_store import EventStoreError
from lukas.application.ports.stored_log import ReadableLog, StoredEvent, StoredLog

BATCH = 2000


class CopyError(EventStoreError):
    pass


@attrs.frozen
class CopyReport:
    events: int  # in the log, both sides
    copied: int  # by this run (the rest were there from an earlier one)
    checksum: str


Progress = Callable[[int, int], None]  # (events in the target, events in the source)


async def copy_log(
    source: ReadableLog, target: StoredLog, *, progress: Progress | None = None, batch: int = BATCH
) -> CopyReport:
    total = await source.head()
    done = await target.head()
    if done > total:
        raise CopyError(
            f"{target.where} already holds {done} events, more than {source.where} "
            f"({total}): it is another log; copy into an empty store"
        )
    if done:
        await _same_event_at(done, source, target)
    copied = 0
    if progress is not None:
        progress(done, total)
    while done < total:
        events = await source.rows(done, batch)
        if not events:
            break
        if events[0].position != done + 1:
            raise CopyError(
                f"{source.where} has no event at position {done + 1}: the log has a gap"
            )
        await target.write(events)
        done = events[-1].position
        copied += len(events)
        if progress is not None:
            progress(done, total)
    return await _verified(source, target, copied)


async def _same_event_at(position: int, source: ReadableLog, target: StoredLog) -> None:
    ours = await source.rows(position - 1, 1)
    theirs = await target.rows(position - 1, 1)
    if not ours or not theirs or _line(ours[0]) != _line(theirs[0]):
        raise CopyError(
            f"{target.where} holds another log (its event at position {position} is not "
            f"{source.where}'s); copy into an empty store"
        )


async def _verified(source: ReadableLog, target: StoredLog, copied: int) -> CopyReport:
    source_count, source_sum = await checksum(source)
    target_count, target_sum = await checksum(target)
    if (source_count, source_sum) != (target_count, target_sum):
        raise CopyError(
            f"the copy does not match: {source.where} has {source_count} events "
            f"(checksum {source_sum[:12]}), {target.where} {target_count} "
            f"(checksum {target_sum[:12]})"
        )
    return CopyReport(events=source_count, copied=copied, checksum=source_sum)


async def checksum(log: ReadableLog, batch: int = BATCH) -> tuple[int, str]:
    """The number of events and a SHA-256 over all their fields, in order."""
    digest = hashlib.sha256()
    count = position = 0
    while events := await log.rows(position, batch):
        for event in events:
            digest.update(_line(event))
        count += len(events)
        position = events[-1].position
    return count, digest.hexdigest()


def _line(event: StoredEvent) -> bytes:
    # Times compared as instants: a store may keep the offset differently (UTC or not).
    at = event.recorded_at.astimezone(dt.UTC).isoformat()
    fields = (
        str(event.position),
        event.stream_id,
        str(event.version),
        event.event_id,
        event.type,
        str(event.schema_version),
        event.data,
        event.metadata,
        at,
    )
    return ("\x1f".join(fields) + "\x1e").encode()
