"""The files where PostgreSQL keeps a table, read by the tests that prove a deleted row
left them (ADR 27)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest


def table_files(url: str, table: str) -> list[Path]:
    """The files of the table, its TOAST table and all their indexes, after a CHECKPOINT
    has written every page out; skips when this process cannot read the server's folder."""
    with psycopg.connect(url, autocommit=True) as raw:
        try:
            raw.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("CHECKPOINT needs a superuser or the pg_checkpoint role")
        rows = raw.execute(
            "WITH parts AS ("
            "  SELECT %s::regclass AS oid"
            "  UNION SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass"
            ") SELECT current_setting('data_directory'), pg_relation_filepath(c.oid)"
            " FROM pg_class c WHERE c.oid IN (SELECT oid FROM parts)"
            " OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN"
            "   (SELECT oid FROM parts))",
            [table, table],
        ).fetchall()
    files = [Path(folder) / relative for folder, relative in rows if relative]
    try:
        for path in files:
            path.stat()
    except OSError:
        pytest.skip("the PostgreSQL server's data directory is not readable here")
    # A relation over 1 GB goes on in path.1, path.2, ...
    return [segment for path in files for segment in path.parent.glob(path.name + "*")]


def every_byte(paths: list[Path]) -> bytes:
    return b"".join(path.read_bytes() for path in paths)
