"""How long the console takes to start and leave on a long log, against an empty one.

Measured: wall time of `printf '/quit\\n' | lukas console --db LOG`, started fresh each
time, on a log of 1,000,000 events (5,000 conversations, seeded in bulk: not measured)
and on an empty log, alternating, after one first start on each (which folds the whole log
once and leaves its checkpoints: the issue's "after the first start"). Start-up covers
opening and checking the file, recovery (the pending work, resumed from its checkpoint),
the settings and the reminders; without a key Lukas runs offline, so no provider is
reached. The target: the long log's median at most 1.5 times the empty log's.

On the same log: `lukas stats`, after a first run that folds the whole log and leaves the
statistics' checkpoint. The target is the issue's: at most 2 s of wall time.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Options, median, progress, scratch_dir
from bench.report import Figure, Target
from bench.seed import create_store_file, exchange_rows, interleaved, seed
from lukas.adapters.event_codec import EventCodec
from lukas.domain.conversation_key import ConversationKey

NAME = "start-up with a long log"


def run(options: Options) -> list[Figure]:
    events = 50_000 if options.quick else 1_000_000
    conversations = 250 if options.quick else 5_000
    runs = 3 if options.quick else 7
    lukas = Path(sys.executable).with_name("lukas")
    with scratch_dir(options, "start") as work:
        long_log, empty_log = work / "long.db", work / "empty.db"
        progress(f"seeding {events:,} events over {conversations:,} conversations")
        keys = [ConversationKey(f"slack-thread:C0BENCH:{n}.000100") for n in range(conversations)]
        rows = exchange_rows(interleaved(keys, events // 3 + 1), EventCodec(), limit=events)
        count, seeded_in = seed(long_log, rows)
        asyncio.run(create_store_file(empty_log))
        environment = _offline_environment(work)
        firsts = {log: _quit_console(lukas, log, environment) for log in (long_log, empty_log)}
        progress(
            f"first starts: {firsts[long_log]:.2f} s long, {firsts[empty_log]:.2f} s empty"
            f" (not measured: they fold the logs and leave checkpoints)"
        )
        long_times: list[float] = []
        empty_times: list[float] = []
        for _ in range(runs):
            long_times.append(_quit_console(lukas, long_log, environment))
            empty_times.append(_quit_console(lukas, empty_log, environment))
        progress(f"{runs} starts each")
        first_stats = _wall(lukas, ["stats", "--db", str(long_log)], environment)
        stats_times = [
            _wall(lukas, ["stats", "--db", str(long_log)], environment) for _ in range(runs)
        ]
    long_s, empty_s, stats_s = median(long_times), median(empty_times), median(stats_times)
    return [
        Figure(
            benchmark=NAME,
            measure=f"console start to /quit, {count:,}-event log / empty log (median)",
            value=long_s / empty_s,
            unit="x",
            target=Target(at_most=1.5),
            summary=(
                f"{long_s * 1000:,.0f} ms vs {empty_s * 1000:,.0f} ms; the very first start"
                f" on the long log took {firsts[long_log]:.1f} s"
            ),
            raw={
                "events": count,
                "runs each": runs,
                "long log median s": long_s,
                "long log min s": min(long_times),
                "empty log median s": empty_s,
                "empty log min s": min(empty_times),
                "first start, long log s (not measured)": firsts[long_log],
                "first start, empty log s (not measured)": firsts[empty_log],
                "seeding seconds (not measured)": seeded_in,
            },
        ),
        Figure(
            benchmark="stats on a long log",
            measure=f"`lukas stats` wall time, {count:,} events, after a first run (median)",
            value=stats_s,
            unit="s",
            target=Target(at_most=2.0),
            summary=f"the first run, which folds the whole log, took {first_stats:.1f} s",
            raw={
                "events": count,
                "runs": runs,
                "median s": stats_s,
                "min s": min(stats_times),
                "first run s (not measured)": first_stats,
            },
        ),
    ]


def _offline_environment(work: Path) -> dict[str, str]:
    """No provider key and no configuration file: the console starts offline, as on a
    machine without a key; nothing in the measured run reaches a network."""
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    return {
        **kept,
        "HOME": str(work),
        "LUKAS_OLLAMA_URL": "http://127.0.0.1:9",  # nothing listens there: refused at once
    }


def _quit_console(lukas: Path, log: Path, environment: dict[str, str]) -> float:
    return _wall(lukas, ["console", "--db", str(log)], environment, given="/quit\n")


def _wall(lukas: Path, arguments: list[str], environment: dict[str, str], given: str = "") -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(lukas), *arguments],
        input=given,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"lukas {arguments[0]} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed
