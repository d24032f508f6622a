"""Instance leases as lock files: the files themselves, and real processes that die."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lukas.adapters.locks.instance_locks import FileLockInstances, InstanceLockError

# argv: directory, instance id. Reports "ready" or the error it met, then sleeps until killed.
CHILD = """
import sys, time
from pathlib import Path
from lukas.adapters.locks.instance_locks import FileLockInstances, InstanceLockError
try:
    FileLockInstances.start(Path(sys.argv[1]), sys.argv[2])
except InstanceLockError as error:
    print("refused:", error, flush=True)
    sys.exit(3)
print("ready", flush=True)
time.sleep(600)
"""

Spawn = Callable[[Path, str], "subprocess.Popen[str]"]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    children: list[subprocess.Popen[str]] = []

    def start(directory: Path, instance_id: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(directory), instance_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)


def first_line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()


def test_start_makes_the_directory_and_a_lock_file_naming_the_process(tmp_path: Path) -> None:
    directory = tmp_path / "nested" / "lukas.db.instances"
    with FileLockInstances.start(directory, "a") as instances:
        assert instances.me == "a"
        assert (directory / "a.lock").read_text() == f"{os.getpid()}\n"
    assert not (directory / "a.lock").exists()


def test_close_releases_the_id_for_the_next_process(tmp_path: Path) -> None:
    first = FileLockInstances.start(tmp_path, "a")
    first.close()
    first.close()  # twice is harmless
    with FileLockInstances.start(tmp_path, "a"), FileLockInstances.start(tmp_path, "b") as b:
        assert b.is_alive("a")


def test_close_releases_the_lock_even_when_the_file_cannot_be_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise PermissionError("cannot remove")

    with FileLockInstances.start(tmp_path, "b") as b:
        a = FileLockInstances.start(tmp_path, "a")
        with monkeypatch.context() as patch:
            patch.setattr(Path, "unlink", refuse)
            a.close()
        assert (tmp_path / "a.lock").exists()
        assert not b.is_alive("a")


def test_the_same_id_cannot_start_twice(tmp_path: Path) -> None:
    with (
        FileLockInstances.start(tmp_path, "a"),
        pytest.raises(InstanceLockError, match=r"'a' is already running: .*a\.lock"),
    ):
        FileLockInstances.start(tmp_path, "a")


def test_a_refused_start_leaves_the_running_instance_alive(tmp_path: Path) -> None:
    with FileLockInstances.start(tmp_path, "a"), FileLockInstances.start(tmp_path, "b") as b:
        with pytest.raises(InstanceLockError):
            FileLockInstances.start(tmp_path, "a")
        assert b.is_alive("a")
        assert (tmp_path / "a.lock").exists()


def test_a_start_that_meets_a_peer_checking_its_file_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_flock = fcntl.flock
    checks = iter([True])  # a peer holds the file once, for a moment, to see if it is stale

    def flock_during_one_check(fd: int, operation: int) -> None:
        if next(checks, False):
            raise BlockingIOError
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_during_one_check)
    with FileLockInstances.start(tmp_path, "a") as a:
        assert a.me == "a"


def test_a_start_whose_file_a_peer_removes_as_stale_locks_a_fresh_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_flock = fcntl.flock
    sweeps = iter([True])

    def flock_after_a_sweep(fd: int, operation: int) -> None:
        if next(sweeps, False):  # between our open and our lock, a peer found it unlocked
            (tmp_path / "a.lock").unlink()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_a_sweep)
    with FileLockInstances.start(tmp_path, "a"), FileLockInstances.start(tmp_path, "b") as b:
        assert b.is_alive("a")


def test_a_bad_id_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    directory = tmp_path / "instances"
    with pytest.raises(ValueError, match=r"invalid instance id '\.\./escape'"):
        FileLockInstances.start(directory, "../escape")
    assert list(tmp_path.iterdir()) == []


def test_asking_about_a_dead_instance_removes_its_file(tmp_path: Path) -> None:
    (tmp_path / "dead.lock").write_text("4242\n")
    with FileLockInstances.start(tmp_path, "a") as instances:
        (tmp_path / "dead.lock").write_text("4242\n")  # left after start's own sweep
        assert not instances.is_alive("dead")
        assert not (tmp_path / "dead.lock").exists()


def test_start_sweeps_the_files_of_dead_instances_only(tmp_path: Path) -> None:
    for leftover in ("dead-1.lock", "dead-2.lock", "not.an.id.lock", "notes.txt"):
        (tmp_path / leftover).write_text("")
    with FileLockInstances.start(tmp_path, "live"), FileLockInstances.start(tmp_path, "a"):
        remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == ["a.lock", "live.lock", "not.an.id.lock", "notes.txt"]


def test_a_directory_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "lukas.db"
    blocker.write_text("")
    with pytest.raises(InstanceLockError, match=r"cannot create .*lukas\.db/instances"):
        FileLockInstances.start(blocker / "instances", "a")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_directory_without_permission_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "instances"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(InstanceLockError, match=r"instances/a\.lock: Permission denied"):
            FileLockInstances.start(locked, "a")
    finally:
        locked.chmod(0o700)


@pytest.mark.slow
def test_a_live_process_is_alive_until_it_is_killed(tmp_path: Path, spawn: Spawn) -> None:
    child = spawn(tmp_path, "child")
    assert first_line(child) == "ready"
    with FileLockInstances.start(tmp_path, "parent") as instances:
        assert instances.is_alive("child")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        assert (tmp_path / "child.lock").exists()  # SIGKILL left it; the lock went with the process
        assert not instances.is_alive("child")
        assert not (tmp_path / "child.lock").exists()


@pytest.mark.slow
def test_a_second_process_with_a_running_id_is_refused(tmp_path: Path, spawn: Spawn) -> None:
    first = spawn(tmp_path, "twin")
    assert first_line(first) == "ready"
    second = spawn(tmp_path, "twin")
    assert second.wait(timeout=30) == 3
    assert "'twin' is already running" in first_line(second)
    with pytest.raises(InstanceLockError, match="already running"):
        FileLockInstances.start(tmp_path, "twin")
    first.kill()
    first.wait(timeout=10)
    with FileLockInstances.start(tmp_path, "twin") as taken_over:
        assert taken_over.me == "twin"
