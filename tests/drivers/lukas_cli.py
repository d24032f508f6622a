"""The installed `lukas` command, run as a user would: a subprocess with piped input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

LUKAS = Path(sys.executable).with_name("lukas")
# A closed port: no local Ollama unless a test points LUKAS_OLLAMA_URL at a stand-in.
NO_OLLAMA = "http://127.0.0.1:9"


@attrs.frozen
class Run:
    returncode: int
    stdout: str
    stderr: str


RunLukas = Callable[..., Run]


def clean_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any Lukas or provider settings, plus `env`."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LUKAS_", "OPENAI_", "ANTHROPIC_", "SLACK_"))
    }
    environment["LUKAS_OLLAMA_URL"] = NO_OLLAMA
    environment.update(env or {})
    return environment


def lukas_runner(cwd: Path) -> RunLukas:
    def run(*args: str, stdin: str = "", env: Mapping[str, str] | None = None) -> Run:
        environment = clean_environment(env)
        done = subprocess.run(
            [str(LUKAS), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=environment,
            timeout=60,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
