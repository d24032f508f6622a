"""Figures, the table `make bench` prints, and `bench/results.json`.

A figure is one number judged against one target: most are ratios against a baseline
measured in the same run (so the machine cancels out), some are absolute times the issue
sets. Each carries its raw numbers, so a reader can check how it was worked out.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bench.common import cpu_count, filesystem_of

RESULTS = Path(__file__).resolve().parent / "results.json"

Raw = Mapping[str, float | int | str]
Unit = Literal["x", "ms", "s", "MiB", "count"]


@dataclass(frozen=True)
class Target:
    at_most: float | None = None
    at_least: float | None = None

    def met(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.at_most is not None and value > self.at_most:
            return False
        return self.at_least is None or value >= self.at_least

    def shown(self, unit: Unit) -> str:
        if self.at_most is not None:
            return f"<= {format_value(self.at_most, unit)}"
        if self.at_least is not None:
            return f">= {format_value(self.at_least, unit)}"
        return "-"


@dataclass(frozen=True)
class Figure:
    benchmark: str
    measure: str  # what the number is, in a few words
    value: float
    unit: Unit
    target: Target
    summary: str  # the raw comparison behind the figure, short enough for the table
    raw: Raw = field(default_factory=dict)
    notes: Sequence[str] = ()

    @property
    def passed(self) -> bool:
        return self.target.met(self.value)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["raw"] = dict(self.raw)
        data["notes"] = list(self.notes)
        data["passed"] = self.passed
        if math.isnan(self.value):
            data["value"] = None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figure:
        value = data["value"]
        return cls(
            benchmark=data["benchmark"],
            measure=data["measure"],
            value=math.nan if value is None else float(value),
            unit=data["unit"],
            target=Target(**data["target"]),
            summary=data["summary"],
            raw=data["raw"],
            notes=tuple(data["notes"]),
        )


def failed(benchmark: str, error: str) -> Figure:
    """A benchmark that could not produce its figure is a MISS, not a silent gap."""
    return Figure(
        benchmark=benchmark,
        measure="did not run to the end",
        value=math.nan,
        unit="count",
        target=Target(),
        summary=_last_error(error),
    )


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    shown = errors[-1] if errors else (lines[-1] if lines else "crashed")
    return shown.replace("|", "/")[:160]


def format_value(value: float, unit: Unit) -> str:
    if math.isnan(value):
        return "n/a"
    match unit:
        case "x":
            return f"{value:.2f}x"
        case "ms":
            return f"{value:.2f} ms"
        case "s":
            return f"{value:.3f} s"
        case "MiB":
            return f"{value:.1f} MiB"
        case "count":
            return f"{value:g}"


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.partition(":")[2].strip()
                    break
    except OSError:
        pass
    # Other work on the machine shows here; the figures are only as quiet as the machine was.
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "nproc": str(cpu_count()),
        "load average (1, 5, 15 min) at the end": load,
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
    }


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table, so the README can carry it as printed."""
    lines = [
        "| benchmark | figure | value | target | result | measured |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        result = "PASS" if f.passed else "MISS"
        lines.append(
            f"| {f.benchmark} | {f.measure} | {format_value(f.value, f.unit)} | "
            f"{f.target.shown(f.unit)} | {result} | {f.summary} |"
        )
    return "\n".join(lines)


def details(figures: Sequence[Figure]) -> str:
    blocks: list[str] = []
    for f in figures:
        lines = [f"{f.benchmark} / {f.measure}:"]
        lines += [f"    {key}: {_raw_value(value)}" for key, value in f.raw.items()]
        lines += [f"    note: {note}" for note in f.notes]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _raw_value(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write(
    figures: Sequence[Figure], *, quick: bool, workdir: Path, seconds: float, path: Path = RESULTS
) -> None:
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine() | {"workdir": f"{workdir} ({filesystem_of(workdir)})"},
        "seconds": round(seconds, 1),
        "figures": [f.to_json() for f in figures],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def show(figures: Sequence[Figure], *, quick: bool, workdir: Path, seconds: float) -> None:
    info = machine()
    print()
    print(
        f"Lukas benchmarks{' (--quick: smaller sizes, not the issue targets)' if quick else ''}"
        f" on {info['nproc']} x {info['cpu']}, Python {info['python']}, SQLite {info['sqlite']},"
        f" databases in {workdir} ({filesystem_of(workdir)}); {seconds:.0f} s in all;"
        f" load average {info['load average (1, 5, 15 min) at the end']} at the end"
    )
    print()
    print(table(figures))
    print()
    print(details(figures))
    passed = sum(f.passed for f in figures)
    print()
    print(f"{passed} of {len(figures)} targets met; results in {RESULTS}", file=sys.stdout)
