"""Rewriting a table so that the rows deleted from it leave its files (ADR 27).

A deleted row stays in its page until the page is reused, and plain VACUUM only marks the
space free: on PostgreSQL 15 the bytes of a row deleted at the page's free-space edge were
still in the table's file after VACUUM and CHECKPOINT. VACUUM FULL copies the live rows
into new files and drops the old ones (truncated at commit, unlinked at the next
checkpoint), indexes and TOAST included. It locks the table for the time of the copy,
which for these small tables is milliseconds.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql


class NotRewrittenError(Exception):
    """VACUUM FULL left the table as it was: PostgreSQL skips, with only a warning, a table
    the role does not own."""


async def rewrite(connection: psycopg.AsyncConnection[Any], schema: str, table: str) -> None:
    """VACUUM FULL of the table, on an autocommit connection (VACUUM runs in no transaction);
    raises NotRewrittenError when PostgreSQL skipped it."""
    name = sql.Identifier(schema, table)
    before = await _file_node(connection, f"{schema}.{table}")
    await connection.execute(sql.SQL("VACUUM FULL {}").format(name))
    if await _file_node(connection, f"{schema}.{table}") == before:
        raise NotRewrittenError(
            f"VACUUM FULL skipped {schema}.{table}: only its owner (or a superuser) may run "
            "it, so deleted rows may stay in its files; start Lukas as the role that owns "
            "the schema"
        )


async def _file_node(connection: psycopg.AsyncConnection[Any], qualified: str) -> int:
    cursor = await connection.execute("SELECT pg_relation_filenode(%s::regclass)", [qualified])
    row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0
