"""`python -m bench [--quick] [--dir DIR] [--profile] [NAME ...]`: run the benchmarks.

Each benchmark runs in a fresh child process (`--child NAME --out FILE`) that writes its
figures as JSON; this process gathers them, prints the table and writes results.json. The
exit status is 0 when every benchmark ran, whether or not it met its target: a MISS is a
finding to report, a crash is a broken benchmark.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import REPOSITORY, report
from bench.common import Options, default_workdir
from bench.report import Figure

# Cheap ones first, so a broken set-up shows within seconds; the million events last.
BENCHMARKS = (
    "startup",
    "append",
    "pgappend",
    "reply",
    "firsttext",
    "concurrency",
    "context",
    "recovery",
    "startlog",
    "rebuild",
    "replicas",
)


def _runner(name: str) -> Callable[[Options], list[Figure]]:
    # Imported only in the child that runs it: the parent must not pay for any-llm's import.
    match name:
        case "startup":
            from bench import startup

            return startup.run
        case "append":
            from bench import append_throughput

            return append_throughput.run
        case "pgappend":
            from bench import postgres_append

            return postgres_append.run
        case "reply":
            from bench import reply_overhead

            return reply_overhead.run
        case "firsttext":
            from bench import first_text

            return first_text.run
        case "concurrency":
            from bench import concurrency

            return concurrency.run
        case "context":
            from bench import context_build

            return context_build.run
        case "recovery":
            from bench import recovery_rounds

            return recovery_rounds.run
        case "startlog":
            from bench import start_with_log

            return start_with_log.run
        case "rebuild":
            from bench import projection_rebuild

            return projection_rebuild.run
        case "replicas":
            from bench import replicas

            return replicas.run
    raise ValueError(f"no benchmark named {name!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"some of: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--dir", type=Path, help="where the benchmark databases go (default: the temp dir)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the rebuild to stderr"
    )
    parser.add_argument("--child", choices=BENCHMARKS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}")
    options = Options(quick=args.quick, workdir=args.dir, profile=args.profile)
    if args.child:
        made = _runner(args.child)(options)
        args.out.write_text(json.dumps([f.to_json() for f in made]), encoding="utf-8")
        return 0
    names = args.names or list(BENCHMARKS)
    started = time.perf_counter()
    figures: list[Figure] = []
    crashed = False
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        ran, ok = _in_child(name, args)
        crashed = crashed or not ok
        figures += ran
    seconds = time.perf_counter() - started
    workdir = args.dir or default_workdir()
    report.show(figures, quick=args.quick, workdir=workdir, seconds=seconds)
    report.write(figures, quick=args.quick, workdir=workdir, seconds=seconds)
    return 1 if crashed else 0


def _in_child(name: str, args: argparse.Namespace) -> tuple[list[Figure], bool]:
    with tempfile.TemporaryDirectory(prefix="lukas-bench-out-") as out_dir:
        out = Path(out_dir) / f"{name}.json"
        command = [sys.executable, "-m", "bench", "--child", name, "--out", str(out)]
        command += ["--quick"] if args.quick else []
        command += ["--profile"] if args.profile else []
        command += ["--dir", str(args.dir)] if args.dir else []
        started = time.perf_counter()
        # Progress lines pass through as they come; a traceback is kept for the table too.
        kept: list[str] = []
        with subprocess.Popen(command, cwd=REPOSITORY, stderr=subprocess.PIPE, text=True) as child:
            assert child.stderr is not None
            for line in child.stderr:
                sys.stderr.write(line)
                sys.stderr.flush()
                kept.append(line)
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        if child.returncode != 0 or not out.exists():
            return [report.failed(name, "".join(kept))], False
        figures = json.loads(out.read_text(encoding="utf-8"))
        return [Figure.from_json(data) for data in figures], True


if __name__ == "__main__":
    sys.exit(main())
