"""`lukas migrate --from PATH_OR_URL --to PATH_OR_URL`: the whole log copied from one store
to another (SQLite to PostgreSQL and back), resumable, verified at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from lukas.application.log_copy import CopyError, Progress, copy_log
from lukas.application.ports.stored_log import StoredLog
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.store_and_tokens import open_store

_BAR_WIDTH = 30


async def migrate(source: Location, target: Location, out: TextIO, err: TextIO) -> int:
    if _same(source, target):
        raise CopyError(f"--from and --to are the same store ({source})")
    async with _stored(source, create=False) as reading, _stored(target, create=True) as writing:
        report = await copy_log(reading, writing, progress=_bar(err) if err.isatty() else None)
    out.write(
        f"{report.events} events in {target}, the same as in {source} "
        f"(sha256 {report.checksum[:16]}); {report.copied} copied now\n"
    )
    return 0


def _same(source: Location, target: Location) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        return source.resolve() == target.resolve()
    return str(source) == str(target)


@asynccontextmanager
async def _stored(location: Location, *, create: bool) -> AsyncIterator[StoredLog]:
    # Opened as an event store first: the source is checked, the target's schema made.
    async with open_store(location, create=create):
        pass
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
