"""What every benchmark shares: run options, statistics, memory readings, progress lines."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Options:
    quick: bool = False
    # Where the benchmark databases go. Durable appends cost what this file system's fsync
    # costs, so it should be the kind of disk Lukas's own database lives on.
    workdir: Path | None = None
    profile: bool = False


def progress(message: str) -> None:
    # stdout of a child carries nothing; stderr shows the long runs are alive.
    print(f"  {message}", file=sys.stderr, flush=True)


@contextmanager
def scratch_dir(options: Options, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"lukas-bench-{name}-", dir=options.workdir) as d:
        yield Path(d)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating between the two nearest samples."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name == field:
                    return int(value.split()[0])
    except OSError:
        return None
    return None


def rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return kib / 1024 if kib is not None else math.nan


def peak_rss_mib() -> float:
    kib = _status_kib("VmHWM")
    return kib / 1024 if kib is not None else math.nan


def reset_peak_rss() -> bool:
    """Resets the kernel's RSS high-water mark to the current RSS (Linux 4.0+).

    Without it the peak of a measurement would include whatever came before it in the
    process, such as seeding the database.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def filesystem_of(path: Path) -> str:
    """The mount's device and type, e.g. "/dev/vda ext4": tmpfs would make fsync free."""
    best, found = "", "unknown"
    target = str(path.resolve())
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                device, mount_point, kind, *_ = line.split()
                inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
                if inside and len(mount_point) >= len(best):
                    best, found = mount_point, f"{device} {kind}"
    except OSError:
        pass
    return found


def default_workdir() -> Path:
    return Path(tempfile.gettempdir())


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
