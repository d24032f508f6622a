"""The commands that only read the log import no provider SDK, Slack or HTTP client (issue 13):
they start in a fraction of a second, and would work with those packages broken. The console
imports no provider SDK before it is ready: the one in use loads in the background after."""

from __future__ import annotations

from pathlib import Path

import pytest
from drivers.lukas_cli import imported_by

pytestmark = pytest.mark.slow

PROVIDER_SDKS = frozenset({"any_llm", "openai", "anthropic", "ollama", "mistralai", "google"})
TRANSPORTS = frozenset({"slack_sdk", "aiohttp", "httpx", "httpcore"})
HEAVY = PROVIDER_SDKS | TRANSPORTS | {"tiktoken"}
# A key pointed at nothing: the provider is configured, and must still not be loaded.
FAKE_KEY = {
    "OPENAI_API_KEY": "sk-test-imports-0123456789",
    "LUKAS_LLM_API_BASE": "http://127.0.0.1:9/v1",
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A log with one console conversation (offline: answered with a fallback phrase)."""
    where = tmp_path_factory.mktemp("imports")
    db = where / "lukas.db"
    run, _ = imported_by(where, "console", "--db", str(db), stdin="Hi Lukas\n")
    assert run.returncode == 0, run.stderr
    listed, _ = imported_by(where, "conversations", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    return db, listed.stdout.split()[0]


@pytest.mark.parametrize("env", [{}, FAKE_KEY], ids=["no key", "a key"])
@pytest.mark.parametrize(
    "command",
    [["replay"], ["replay", "--format", "jsonl"], ["stats"], ["conversations"], ["config", "show"]],
    ids=" ".join,
)
def test_reading_the_log_imports_no_sdk(
    seeded: tuple[Path, str], command: list[str], env: dict[str, str]
) -> None:
    db, _ = seeded
    run, modules = imported_by(db.parent, *command, "--db", str(db), env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout
    assert modules & HEAVY == set()


@pytest.mark.parametrize("env", [{}, FAKE_KEY], ids=["no key", "a key"])
def test_context_imports_only_the_token_counter(
    seeded: tuple[Path, str], env: dict[str, str]
) -> None:
    db, key = seeded
    run, modules = imported_by(db.parent, "context", key, "--db", str(db), env=env)
    assert run.returncode == 0, run.stderr
    assert "Hi Lukas" in run.stdout
    assert "tiktoken" in modules  # it counts tokens: the check below is not vacuous
    assert modules & (PROVIDER_SDKS | TRANSPORTS) == set()


def test_image_without_a_key_says_so_before_importing_any_sdk(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    run, modules = imported_by(tmp_path, "image", "--db", str(db))
    assert run.returncode == 1
    assert "OPENAI_API_KEY is not set" in run.stderr
    assert modules & HEAVY == set()
    assert not db.exists()  # nothing was opened either


def test_the_console_is_ready_without_the_provider_s_sdk(tmp_path: Path) -> None:
    # Its SDK and the token encoding load in background threads, held back here: what is
    # left is what start-up, the prompt and /quit needed.
    run, modules = imported_by(
        tmp_path, "console", stdin="/quit\n", env=FAKE_KEY, background_loads=False
    )
    assert run.returncode == 0, run.stderr
    assert "lukas" in modules
    # tiktoken's module (not its encoding) is imported, to name the encoding to load.
    assert modules & (PROVIDER_SDKS | TRANSPORTS) == set()


def test_the_console_quits_while_the_provider_s_sdk_still_loads(tmp_path: Path) -> None:
    # /quit is read at once, while the SDK is most likely still being imported in the
    # background: Python leaves without waiting for it, and says nothing about it.
    run, _ = imported_by(tmp_path, "console", stdin="/quit\n", env=FAKE_KEY)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
