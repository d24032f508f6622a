"""How long `lukas --help` takes, against starting the same interpreter to do nothing.

Measured: wall time of `.venv/bin/lukas --help` (the installed console script), started
fresh each time. Baseline: `python -c pass` with the venv's interpreter, which pays for
the interpreter and `site` (and so for the editable install's path hooks) and nothing else.
The two alternate, and the medians are compared. The target is the issue's: at most 300 ms
of wall time for `lukas --help`.

Also reported: which heavy SDKs `--help` imports (it should import none of them) and the
modules whose import costs most, from `python -X importtime`, to say where the time goes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from bench import REPOSITORY
from bench.common import Options, median, progress
from bench.report import Figure, Target

NAME = "start-up"
HEAVY = ("any_llm", "openai", "anthropic", "ollama", "slack_sdk", "aiohttp", "tenacity", "httpx")
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def run(options: Options) -> list[Figure]:
    runs = 5 if options.quick else 20
    lukas = Path(sys.executable).with_name("lukas")
    if not lukas.exists():
        raise FileNotFoundError(f"{lukas}: install Lukas into this venv first (make bench does)")
    help_times: list[float] = []
    pass_times: list[float] = []
    _wall([str(lukas), "--help"])  # first run pays for cold caches and .pyc writes
    for _ in range(runs):
        help_times.append(_wall([str(lukas), "--help"]))
        pass_times.append(_wall([sys.executable, "-c", "pass"]))
    progress(f"{runs} runs each")
    heavy, costs = _imports(lukas)
    lukas_ms, python_ms = median(help_times) * 1000, median(pass_times) * 1000
    return [
        Figure(
            benchmark=NAME,
            measure="`lukas --help` wall time (median)",
            value=lukas_ms,
            unit="ms",
            target=Target(at_most=300),
            summary=(
                f"python -c pass {python_ms:.0f} ms (ratio {lukas_ms / python_ms:.1f});"
                f" heavy SDKs imported: {', '.join(heavy) or 'none'}"
            ),
            raw={
                "runs each": runs,
                "lukas --help median ms": lukas_ms,
                "lukas --help min ms": min(help_times) * 1000,
                "python -c pass median ms": python_ms,
                "difference ms": lukas_ms - python_ms,
                "heavy SDKs imported by --help": ", ".join(heavy) or "none",
                **{f"import ms, {name} (cumulative)": ms for name, ms in costs},
            },
        )
    ]


def _wall(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPOSITORY, check=True, capture_output=True)
    return time.perf_counter() - began


def _imports(lukas: Path) -> tuple[list[str], list[tuple[str, float]]]:
    """From `python -X importtime lukas --help`: the heavy SDKs it imported, and what it
    spent longest importing (site, then the modules `lukas.entrypoints.cli` imports)."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", str(lukas), "--help"],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
        text=True,
    )
    imported: set[str] = set()
    costs: list[tuple[str, float]] = []
    children: list[tuple[str, float]] = []  # of the next top-level import to be printed
    for line in found.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        name, depth = match.group(4), len(match.group(3))
        imported.add(name.split(".")[0])
        cumulative_ms = int(match.group(2)) / 1000
        # importtime prints a module after everything it imported, indented by depth.
        if depth == 3:
            children.append((name, cumulative_ms))
        elif depth == 1 and cumulative_ms >= 5:
            costs.append((name, cumulative_ms))
            if name == "lukas.entrypoints.cli":
                costs += sorted(children, key=lambda item: -item[1])[:6]
            children = []
    return sorted(imported & set(HEAVY)), costs
