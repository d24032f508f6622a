"""Where the event log is: a SQLite file (the embedded default) or a PostgreSQL database,
from `--db` or LUKAS_DB. Light to import: `lukas --help` parses --db with it.

A PostgreSQL URL may hold a password, so it is shown only as user@host:port/database.
"""

from __future__ import annotations

from pathlib import Path

import attrs

_SCHEMES = ("postgresql://", "postgres://")


@attrs.frozen
class PostgresUrl:
    url: str = attrs.field(repr=False)

    def __str__(self) -> str:
        from lukas.adapters.postgres.connection import describe  # psycopg: only when used

        return describe(self.url)

    @property
    def database(self) -> str:
        """The database's name, from the URL's path (or the role's default)."""
        path = self.url.split("://", 1)[1].split("?", 1)[0]
        name = path.split("/", 1)[1] if "/" in path else ""
        return name or "lukas"


Location = Path | PostgresUrl


def parse_location(text: str) -> Location:
    if text.startswith(_SCHEMES):
        return PostgresUrl(text)
    return Path(text)


def beside(location: Location, suffix: str) -> Path:
    """A folder that belongs with the log: next to a SQLite file; for PostgreSQL, named for
    the database, in the current folder (pictures)."""
    if isinstance(location, Path):
        return location.with_name(location.name + suffix)
    return Path(location.database + suffix)
