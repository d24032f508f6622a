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


# Runs `lukas` in this interpreter and, as it exits, writes the top-level names of every
# module it imported to the file named by LUKAS_TEST_MODULES_FILE. With
# LUKAS_TEST_NO_BACKGROUND_LOADS set, the background loads (threads named "loading ...") are
# never started, so what remains is what the command's own path imported.
_IMPORTS_WRAPPER = """
import atexit, os, sys, threading

if os.environ.get("LUKAS_TEST_NO_BACKGROUND_LOADS"):
    _start = threading.Thread.start

    def _start_unless_loading(thread):
        if not thread.name.startswith("loading "):
            _start(thread)

    threading.Thread.start = _start_unless_loading

def _write():
    names = sorted({name.partition(".")[0] for name in sys.modules})
    with open(os.environ["LUKAS_TEST_MODULES_FILE"], "w", encoding="utf-8") as out:
        out.write("\\n".join(names))

atexit.register(_write)
from lukas.entrypoints.cli import main
sys.exit(main(sys.argv[1:]))
"""


def imported_by(
    cwd: Path,
    *args: str,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    background_loads: bool = True,
) -> tuple[Run, frozenset[str]]:
    """Runs `lukas *args` as a user would, and says which top-level modules it imported."""
    modules_file = cwd / "imported-modules.txt"
    environment = clean_environment(env) | {"LUKAS_TEST_MODULES_FILE": str(modules_file)}
    if not background_loads:
        environment["LUKAS_TEST_NO_BACKGROUND_LOADS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_WRAPPER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )
    names = frozenset(modules_file.read_text(encoding="utf-8").split())
    modules_file.unlink()
    return Run(done.returncode, done.stdout, done.stderr), names
