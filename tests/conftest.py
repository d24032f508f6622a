"""Shared fixtures. Tests are split by the I/O they need: domain/ (none), application/ (fakes),
adapters/ and contracts/ (real SQLite, local stand-in servers), e2e/ (the `lukas` command)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from standins.openai_server import OpenAIStandIn
from standins.postgres_server import fresh_database, server_url
from standins.slack_server import SlackStandIn


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def _openai_standin_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def openai_standin(_openai_standin_server: OpenAIStandIn) -> Iterator[OpenAIStandIn]:
    """The session's OpenAI-compatible stand-in, emptied for each test."""
    _openai_standin_server.reset()
    yield _openai_standin_server
    _openai_standin_server.reset()


@pytest.fixture(scope="session")
def _slack_standin_server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def slack_standin(_slack_standin_server: SlackStandIn) -> Iterator[SlackStandIn]:
    """The session's stand-in Slack (Web API and Socket Mode), emptied for each test."""
    _slack_standin_server.reset()
    yield _slack_standin_server
    _slack_standin_server.reset()


@pytest.fixture(scope="session")
def team_log_template(
    _openai_standin_server: OpenAIStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A team's log (tests/drivers/team_log.py), made once; copy it before writing to it."""
    from drivers.team_log import make_team_log

    _openai_standin_server.reset()
    try:
        return make_team_log(tmp_path_factory.mktemp("team-log"), _openai_standin_server)
    finally:
        _openai_standin_server.reset()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A PostgreSQL server's URL; the test skips (fails in CI) when there is none."""
    return server_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database of the test's own, dropped after it."""
    with fresh_database(postgres_server) as url:
        yield url
