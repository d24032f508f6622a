"""Lukas's benchmarks (`make bench`, or `python -m bench [--quick] [NAME ...]`).

Plain scripts rather than pytest-benchmark: every figure here is a ratio (or difference)
against a baseline measured in the same run, judged against a target from the issue, and
several need set-ups that pytest-benchmark's repeat-one-function model does not fit: a
million-event log seeded once, peak memory of one rebuild, a hundred conversations at once,
wall time of a fresh `lukas` process. Each benchmark runs in a child process of its own
(`python -m bench --child NAME`), so no benchmark's memory high-water mark, imports, threads
or event loops leak into the next one's numbers; `bench/report.py` prints the table and
writes `bench/results.json`.

The benchmarks reuse the tests' stand-ins and fakes (`tests/standins`, `tests/fakes`), so
`tests/` goes on the import path here, before any benchmark module is imported. mypy finds
the same modules through `mypy_path` in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
_TESTS = str(REPOSITORY / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
