"""The layer rules (ADR 13): import-linter's contracts in pyproject.toml catch a wrong import,
and the domain neither reads the clock nor the environment, which no import reveals."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("domain", "application", "adapters", "entrypoints")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Each module added to a copy of the tree, and the import the contracts must report for it.
VIOLATIONS = {
    "domain/_rolls_dice.py": ("import random\n", "lukas.domain._rolls_dice", "random"),
    "domain/_keeps_time.py": ("from time import monotonic\n", "lukas.domain._keeps_time", "time"),
    "domain/_reads_files.py": ("import os.path\n", "lukas.domain._reads_files", "os"),
    "domain/_encodes.py": (
        "def encode() -> None:\n    import cattrs\n",
        "lukas.domain._encodes",
        "cattrs",
    ),
    "domain/_types_a_database.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlite3\n",
        "lukas.domain._types_a_database",
        "sqlite3",
    ),
    "domain/_reaches_out.py": (
        "import lukas.application\n",
        "lukas.domain._reaches_out",
        "lukas.application",
    ),
    "application/_opens_a_database.py": (
        "import aiosqlite\n",
        "lukas.application._opens_a_database",
        "aiosqlite",
    ),
    "application/_calls_slack.py": (
        "from slack_sdk.web.async_client import AsyncWebClient\n",
        "lukas.application._calls_slack",
        "slack_sdk",
    ),
    "application/_starts_itself.py": (
        "from lukas.entrypoints import cli\n",
        "lukas.application._starts_itself",
        "lukas.entrypoints.cli",
    ),
}


@pytest.mark.slow
def test_the_contracts_report_every_import_that_breaks_a_layer_rule(tmp_path: Path) -> None:
    # A copy laid out as `lukas/<layer>` and put first on the path, so the linter reads the
    # copy and not the folders the editable install maps.
    for layer in LAYERS:
        shutil.copytree(
            ROOT / layer, tmp_path / "lukas" / layer, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for path, (source, _, _) in VIOLATIONS.items():
        (tmp_path / "lukas" / path).write_text(source)

    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 1, run.stdout + run.stderr
    missed = [
        f"{importer} -> {imported}"
        for _, importer, imported in VIOLATIONS.values()
        if not re.search(rf"{re.escape(importer)} -> {re.escape(imported)} \(l\.", run.stdout)
    ]
    assert missed == [], run.stdout


# Reading these is reading the clock or the environment; the domain is handed both instead.
CLOCK_AND_ENVIRONMENT = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.perf_counter",
        "os.environ",
        "os.environb",
        "os.getenv",
        "os.getenvb",
        "os.putenv",
    }
)
# Builtins that are I/O, counted only when called so a parameter named `input` is no finding.
IO_BUILTINS = frozenset({"open", "print", "input"})


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Each name an import binds, to the dotted name it stands for."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is None:
                    # `import os.path` binds `os`.
                    top = alias.name.split(".")[0]
                    names[top] = top
                else:
                    names[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                names[alias.asname or alias.name] = f"{module}.{alias.name}"
    return names


def _dotted(node: ast.expr, names: Mapping[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return names.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    return None


def clock_environment_and_io(source: str) -> list[str]:
    """Every use of the clock, the environment or an I/O builtin in `source`, as `line: name`."""
    tree = ast.parse(source)
    names = _imported_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            dotted = _dotted(node, names)
            if dotted in CLOCK_AND_ENVIRONMENT:
                found.append(f"{node.lineno}: {dotted}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in IO_BUILTINS
            and node.func.id not in names
        ):
            found.append(f"{node.lineno}: {node.func.id}")
    return found


def test_the_domain_reads_no_clock_no_environment_and_does_no_io() -> None:
    modules = sorted((ROOT / "domain").rglob("*.py"))
    assert modules
    found = [
        f"{module.relative_to(ROOT)}:{finding}"
        for module in modules
        for finding in clock_environment_and_io(module.read_text())
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import datetime as dt\nx = dt.datetime.now(dt.UTC)", ["2: datetime.datetime.now"]),
        ("from datetime import datetime\nx = datetime.utcnow()", ["2: datetime.datetime.utcnow"]),
        ("from datetime import date as Day\nx = Day.today()", ["2: datetime.date.today"]),
        ("import datetime\nx = datetime.date.today()", ["2: datetime.date.today"]),
        # Handed on uncalled, as a default factory, it still reads the clock later.
        ("from datetime import datetime\nclock = datetime.now", ["2: datetime.datetime.now"]),
        ("import time\nx = time.time()", ["2: time.time"]),
        ("from time import time as now\nx = now()", ["2: time.time"]),
        ("import os\nx = os.environ['TEAM']", ["2: os.environ"]),
        ("import os\nx = os.environ.get('TEAM')", ["2: os.environ"]),
        ("import os.path\nx = os.getenv('TEAM')", ["2: os.getenv"]),
        ("from os import environ\nx = environ['TEAM']", ["2: os.environ"]),
        ("from os import getenv as env\nx = env('TEAM')", ["2: os.getenv"]),
        ("def f() -> None:\n    print('hello')", ["2: print"]),
        ("x = open('team.toml').read()", ["1: open"]),
        ("import datetime as dt\nx = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)", []),
        ("import datetime as dt\ndef f(now: dt.datetime) -> dt.date:\n    return now.date()", []),
        ("def today(now):\n    return now.today", []),
        ("def parse(input: str) -> str:\n    return input.strip()", []),
        ("from shelf import open\nx = open('book')", []),
        ("environ = {}\nx = environ['TEAM']", []),
    ],
)
def test_the_clock_check_resolves_what_each_name_was_imported_as(
    source: str, found: list[str]
) -> None:
    assert clock_environment_and_io(source) == found
