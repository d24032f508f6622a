"""What a path holds, looked at before SQLite opens it. SQLite's own errors for a folder, a
device or another program's file come late (at the first statement) and say little, so
each SQLite store looks first and words the refusal for its own kind of file."""

from __future__ import annotations

import enum
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"


class FileKind(enum.Enum):
    MISSING = "missing"
    DIRECTORY = "directory"
    NOT_REGULAR = "not a regular file"  # /dev/null, a pipe, a socket
    NOT_SQLITE = "not a SQLite database"
    SQLITE = "a SQLite database, or empty"  # SQLite makes an empty file a database


def file_kind(path: Path) -> FileKind:
    """Raises OSError when the file is there but cannot be read."""
    if path.is_dir():
        return FileKind.DIRECTORY
    if not path.exists():
        return FileKind.MISSING
    if not path.is_file():
        return FileKind.NOT_REGULAR
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    return FileKind.SQLITE if not header or header == SQLITE_HEADER else FileKind.NOT_SQLITE
