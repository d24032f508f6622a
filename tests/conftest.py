"""Shared fixtures. Tests are split by the I/O they need: domain/ (none), application/ (fakes),
adapters/ and contracts/ (real SQLite, local stand-in servers), e2e/ (the `lukas` command)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from standins.openai_server import OpenAIStandIn


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
