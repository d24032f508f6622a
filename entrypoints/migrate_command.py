"""`lukas migrate --from PATH_OR_URL --to PATH_OR_URL`: the whole log copied from one store
to another (SQLite to PostgreSQL and back), resumable, verified at the end.

Every personal word is sealed anew with the target's keys (ADR 27): keys never travel with
a log, and a log written before sealing comes out sealed, so this is also its upgrade."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from lukas.adapters.memory.data_keys import NoDataKeys
from lukas.adapters.sealing.resealed_log import ResealCounts, ResealedLog
from lukas.application.log_copy import CopyError, Progress, copy_log
from lukas.application.ports.stored_log import StoredLog
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.store_and_tokens import OpenedLog, open_log

_BAR_WIDTH = 30


async def migrate(source: Location, target: Location, out: TextIO, err: TextIO) -> int:
    if _same(source, target):
        raise CopyError(f"--from and --to are the same store ({source})")
    # Opened as logs first: the source is checked, the target's schema and key store made
    # (recording that its log was empty when sealing began, so it is never called old).
    async with (
        open_log(source, create=False) as reading_log,
        open_log(target, create=True) as writing_log,
        _stored(source) as reading,
        _stored(target) as writing,
    ):
        view = ResealedLog(reading, reading_log.keys, writing_log.keys)
        report = await copy_log(view, writing, progress=_bar(err) if err.isatty() else None)
    counts = view.counts
    out.write(
        f"{report.events} events in {target}, the same as in {source} "
        f"(sha256 {report.checksum[:16]}); {report.copied} copied now; "
        f"the words of {counts.resealed} sealed anew with its keys\n"
    )
    _warn(reading_log, counts, err)
    return 0


def _warn(source: OpenedLog, counts: ResealCounts, err: TextIO) -> None:
    if isinstance(source.keys, NoDataKeys) and counts.unopened:
        err.write(
            f"lukas: no key store at {source.keys_where}: the sealed words of "
            f"{counts.unopened} events could not be opened and are forgotten in the copy\n"
        )
    if counts.ownerless:
        err.write(
            f"lukas: {counts.ownerless} old replies answer no message in the log, so whose "
            "they are is unknown: their words stay in the clear in the copy\n"
        )


def _same(source: Location, target: Location) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        return source.resolve() == target.resolve()
    return str(source) == str(target)


@asynccontextmanager
async def _stored(location: Location) -> AsyncIterator[StoredLog]:
    if isinstance(location, Path):
        from lukas.adapters.sqlite.stored_log import SqliteStoredLog

        async with await SqliteStoredLog.open(location) as sqlite:
            yield sqlite
        return
    from lukas.adapters.postgres.stored_log import PostgresStoredLog

    async with await PostgresStoredLog.open(location.url) as postgres:
        yield postgres


def _bar(err: TextIO) -> Progress:
    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(share * _BAR_WIDTH)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        err.write(f"\rmigrating [{bar}] {share:4.0%} {done:,}/{total:,} events")
        if done >= total:
            err.write("\n")
        err.flush()

    return show
