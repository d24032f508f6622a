"""How long the `lukas` commands take to start, against starting the same interpreter to do
nothing.

Measured, each command started fresh each time, the installed console script:
- `lukas --help`, wall time (target: at most 300 ms);
- `printf '/quit\\n' | lukas console`, wall time, with no provider key and with a key pointed
  at a closed port (the figure is the slower of the two medians; target: at most 1000 ms);
- `lukas config show` and `lukas image` (no key, so it stops at its first line, which says
  so), time until their first line of output (target: at most 500 ms);
- `lukas replay` of a small log (a console conversation's worth of exchanges seeded by
  bench/seed.py), wall time (target: at most 500 ms).
Baseline: `python -c pass` with the venv's interpreter, which pays for the interpreter and
`site` (and so for the editable install's path hooks) and nothing else. Each round runs
every command once and the baseline once, so load on the machine falls on all alike; the
medians are compared. Every command runs with a clean environment (no LUKAS_, OPENAI_,
ANTHROPIC_ or SLACK_ variables), its database in a scratch directory and Ollama's URL on a
closed port, so what is measured does not depend on what runs on the machine.

Also reported: which heavy SDKs each command imports (`--help`, `config show`, `image` and
`replay` should import none of them; the console loads its provider's in the background,
after its prompt) and the modules whose import costs most for `--help`, from
`python -X importtime`, to say where the time goes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench import REPOSITORY
from bench.common import Options, median, progress, scratch_dir
from bench.report import Figure, Target
from bench.seed import Row, exchange_rows, interleaved, seed
from lukas.adapters.event_codec import EventCodec
from lukas.domain.conversation_key import ConversationKey

NAME = "start-up"
HEAVY = (
    "any_llm",
    "openai",
    "anthropic",
    "ollama",
    "slack_sdk",
    "aiohttp",
    "tenacity",
    "httpx",
    "tiktoken",
)
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
# A small log: three console conversations, 20 exchanges (60 events) in all.
_SMALL_LOG_EXCHANGES = 20
_CLOSED_PORT = "http://127.0.0.1:9"
# A key that looks real, for a provider on a closed port: configured, never reached.
_FAKE_KEY = {"OPENAI_API_KEY": "sk-bench-startup-0123456789", "LUKAS_LLM_API_BASE": _CLOSED_PORT}

Measure = Callable[[], float]


def run(options: Options) -> list[Figure]:
    runs = 5 if options.quick else 20
    lukas = Path(sys.executable).with_name("lukas")
    if not lukas.exists():
        raise FileNotFoundError(f"{lukas}: install Lukas into this venv first (make bench does)")
    with scratch_dir(options, "startup") as scratch:
        db = scratch / "small.db"
        events, _ = seed(db, _small_log())
        env = _clean_environment(scratch)
        command = [str(lukas)]
        quit_console = [*command, "console", "--db", str(scratch / "console.db")]
        measures: dict[str, Measure] = {
            "python -c pass": lambda: _wall([sys.executable, "-c", "pass"], env),
            "--help": lambda: _wall([*command, "--help"], env),
            "console, no key": lambda: _wall(quit_console, env, stdin="/quit\n"),
            "console, a key": lambda: _wall(quit_console, env | _FAKE_KEY, stdin="/quit\n"),
            "config show": lambda: _first_line([*command, "config", "show", "--db", str(db)], env),
            "image, no key": lambda: _first_line(
                [*command, "image", "--db", str(scratch / "image.db")], env, stream="stderr"
            ),
            "replay": lambda: _wall([*command, "replay", "--db", str(db)], env),
        }
        for measure in measures.values():
            measure()  # the first run pays for cold caches and .pyc writes
        times: dict[str, list[float]] = {name: [] for name in measures}
        for _ in range(runs):
            for name, measure in measures.items():
                times[name].append(measure())
        progress(f"{runs} rounds of {len(measures)} commands; a log of {events} events")
        heavy = {
            name: _imports([*command, *args], env)[0]
            for name, args in (
                ("--help", ["--help"]),
                ("config show", ["config", "show", "--db", str(db)]),
                ("image", ["image", "--db", str(scratch / "image.db")]),
                ("replay", ["replay", "--db", str(db)]),
            )
        }
        _, costs = _imports([*command, "--help"], env)
    ms = {name: median(values) * 1000 for name, values in times.items()}
    python_ms = ms["python -c pass"]

    def versus_python(value: float) -> str:
        return f"python -c pass {python_ms:.0f} ms (ratio {value / python_ms:.1f})"

    def sdks(name: str) -> str:
        return ", ".join(heavy[name]) or "none"

    raw_common = {"runs each": runs, "python -c pass median ms": python_ms}
    console_ms = max(ms["console, no key"], ms["console, a key"])
    return [
        Figure(
            benchmark=NAME,
            measure="`lukas --help` wall time (median)",
            value=ms["--help"],
            unit="ms",
            target=Target(at_most=300),
            summary=f"{versus_python(ms['--help'])}; heavy SDKs imported: {sdks('--help')}",
            raw={
                **raw_common,
                **_spread("lukas --help", times["--help"]),
                "heavy SDKs imported by --help": sdks("--help"),
                **{f"import ms, {name} (cumulative)": value for name, value in costs},
            },
        ),
        Figure(
            benchmark=NAME,
            # No "|" in a measure: it would split the Markdown table's cell.
            measure="`lukas console` with `/quit` piped in, wall time (median, no key or a key)",
            value=console_ms,
            unit="ms",
            target=Target(at_most=1000),
            summary=(
                f"no key {ms['console, no key']:.0f} ms, a key (closed port)"
                f" {ms['console, a key']:.0f} ms; {versus_python(console_ms)}"
            ),
            raw={
                **raw_common,
                **_spread("console, no key", times["console, no key"]),
                **_spread("console, a key", times["console, a key"]),
            },
            notes=(
                "the provider's SDK and the token encoding load in background threads once"
                " the prompt is up; /quit does not wait for them",
            ),
        ),
        Figure(
            benchmark=NAME,
            measure="`lukas config show` time to its first line (median)",
            value=ms["config show"],
            unit="ms",
            target=Target(at_most=500),
            summary=(
                f"{versus_python(ms['config show'])}; heavy SDKs imported: {sdks('config show')}"
            ),
            raw={**raw_common, **_spread("config show", times["config show"])},
        ),
        Figure(
            benchmark=NAME,
            measure="`lukas image` time to its first line, no key (median)",
            value=ms["image, no key"],
            unit="ms",
            target=Target(at_most=500),
            summary=f"{versus_python(ms['image, no key'])}; heavy SDKs imported: {sdks('image')}",
            raw={**raw_common, **_spread("image, no key", times["image, no key"])},
            notes=("without a key its first line is the error saying so, on stderr",),
        ),
        Figure(
            benchmark=NAME,
            measure=f"`lukas replay` of a {events}-event log, wall time (median)",
            value=ms["replay"],
            unit="ms",
            target=Target(at_most=500),
            summary=f"{versus_python(ms['replay'])}; heavy SDKs imported: {sdks('replay')}",
            raw={**raw_common, "events": events, **_spread("replay", times["replay"])},
        ),
    ]


def _small_log() -> list[Row]:
    keys = [ConversationKey.console(f"bench-{n}") for n in range(3)]
    return list(exchange_rows(interleaved(keys, _SMALL_LOG_EXCHANGES), EventCodec()))


def _clean_environment(scratch: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LUKAS_", "OPENAI_", "ANTHROPIC_", "SLACK_"))
    }
    return env | {"LUKAS_OLLAMA_URL": _CLOSED_PORT, "LUKAS_DB": str(scratch / "default.db")}


def _spread(name: str, values: Sequence[float]) -> dict[str, float]:
    return {
        f"{name} median ms": median(values) * 1000,
        f"{name} min ms": min(values) * 1000,
        f"{name} max ms": max(values) * 1000,
    }


def _wall(command: list[str], env: Mapping[str, str], *, stdin: str = "") -> float:
    began = time.perf_counter()
    subprocess.run(
        command, cwd=REPOSITORY, env=env, input=stdin, check=False, capture_output=True, text=True
    )
    return time.perf_counter() - began


def _first_line(command: list[str], env: Mapping[str, str], *, stream: str = "stdout") -> float:
    """Seconds from starting `command` until a first line appears on `stream`."""
    began = time.perf_counter()
    with subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        pipe = process.stdout if stream == "stdout" else process.stderr
        assert pipe is not None
        line = pipe.readline()
        seconds = time.perf_counter() - began
        process.communicate()
    if not line:
        raise RuntimeError(f"{' '.join(command[1:])} wrote nothing on {stream}")
    return seconds


def _imports(
    command: list[str], env: Mapping[str, str]
) -> tuple[list[str], list[tuple[str, float]]]:
    """From `python -X importtime <command>`: the heavy SDKs it imported, and what it
    spent longest importing (site, then the modules `lukas.entrypoints.cli` imports)."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        cwd=REPOSITORY,
        env=env,
        check=False,
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
