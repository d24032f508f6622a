"""The PostgreSQL server tests run against: LUKAS_TEST_POSTGRES_URL, else the one on
127.0.0.1:5432 (this project's machines start PostgreSQL 15 there, trust auth). Not a
stand-in but the real thing: each test gets a database of its own, made and dropped here.

Without a server the tests skip with one line saying why; with CI=true they fail instead,
so CI cannot pass by running none of them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

_DEFAULT_URLS = (
    "postgresql://127.0.0.1:5432/test",
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://postgres@127.0.0.1:5432/postgres",
)
PREFIX = "lukas_test_"


def server_url() -> str:
    """A URL of a database on a server where this role may create databases; skips (or, in
    CI, fails) the test when there is none."""
    given = os.environ.get("LUKAS_TEST_POSTGRES_URL")
    candidates = (given,) if given else _DEFAULT_URLS
    problems = []
    for url in candidates:
        try:
            with psycopg.connect(url, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
            return url
        except psycopg.Error as error:
            problems.append(str(error).strip().splitlines()[0] if str(error) else "failed")
    why = f"no PostgreSQL server for the tests ({problems[-1]}); set LUKAS_TEST_POSTGRES_URL"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def make_conninfo_url(url: str, dbname: str) -> str:
    """The same server and role, another database, as a postgresql:// URL."""
    parts = conninfo_to_dict(url)
    user = parts.get("user")
    password = parts.get("password")
    auth = f"{user}{':' + str(password) if password else ''}@" if user else ""
    host = parts.get("host") or "127.0.0.1"
    port = parts.get("port") or "5432"
    return f"postgresql://{auth}{host}:{port}/{dbname}"


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards; yields its URL."""
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo_url(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
