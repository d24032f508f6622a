"""Each process holds an exclusive flock(2) on `<directory>/<instance id>.lock` while it runs.

Why flock rather than lockf/fcntl record locks: a flock belongs to the open file description,
so two open() calls of one file conflict even inside one process (a second instance started in
the same process is seen as a separate owner, as the contract suite needs), and closing some
other descriptor of the file does not silently drop it, as closing any descriptor drops a
process's record locks. Either kind is released by the kernel when the process dies, even on
SIGKILL. Caveats: flock is only reliable on a local filesystem (NFS emulates it with record
locks), and a child made by a bare fork() shares the lock until it, too, exits.

Stale files are removed only by whoever holds the file's exclusive lock, and a starter keeps its
lock only if the locked file is still the one at the path, so removal never pulls a file out
from under a live instance.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from pathlib import Path
from types import TracebackType
from typing import Self

_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SUFFIX = ".lock"
# A peer checking a dead instance holds that lock for a few system calls; a starter meeting it
# tries again for a moment before concluding that a live process owns the id.
_ATTEMPTS = 5
_PAUSE_SECONDS = 0.01


class InstanceLockError(Exception):
    """The lease on an instance id could not be taken or checked."""


def check_instance_id(instance_id: str) -> str:
    """The id unchanged, or ValueError: ids become file names and must not leave the directory."""
    if not _VALID_ID.fullmatch(instance_id):
        raise ValueError(
            f"invalid instance id {instance_id!r}: use 1 to 64 ASCII letters, digits, '_' or '-'"
        )
    return instance_id


class FileLockInstances:
    """The `Instances` port over lock files in one directory on this host."""

    def __init__(self, directory: Path, me: str, lease: int) -> None:
        """Use `start`, which takes the lease this object then owns."""
        self._directory = directory
        self._me = me
        self._lease: int | None = lease

    @classmethod
    def start(cls, directory: Path, instance_id: str) -> FileLockInstances:
        check_instance_id(instance_id)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _failed("cannot create the instance lock directory", directory, error) from error
        instances = cls(directory, instance_id, _take_lease(directory / (instance_id + _SUFFIX)))
        instances._sweep()
        return instances

    @property
    def me(self) -> str:
        return self._me

    def is_alive(self, instance_id: str) -> bool:
        if check_instance_id(instance_id) == self._me:
            return True
        path = self._directory / (instance_id + _SUFFIX)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise _failed("cannot open the instance lock", path, error) from error
        try:
            # Exclusive, not shared: it is what makes removing the stale file safe (see above).
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError as error:
            raise _failed("cannot check the instance lock", path, error) from error
        else:
            _remove_if_named(fd, path)
            return False
        finally:
            os.close(fd)

    def close(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            _remove_if_named(lease, self._directory / (self._me + _SUFFIX))
            os.close(lease)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _sweep(self) -> None:
        """Remove the files of dead instances, which nobody may ever ask about again."""
        try:
            paths = list(self._directory.glob("*" + _SUFFIX))
        except OSError:
            return  # the sweep is a courtesy; this instance runs fine without it
        for path in paths:
            if _VALID_ID.fullmatch(path.stem):
                with contextlib.suppress(InstanceLockError):
                    self.is_alive(path.stem)


def _take_lease(path: Path) -> int:
    held_by_another = False
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(_PAUSE_SECONDS)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise _failed("cannot create the instance lock", path, error) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held_by_another = False
            if _is_named(fd, path):
                # The pid is for people looking at the directory; liveness is the lock alone.
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return fd
        except BlockingIOError:
            held_by_another = True
        except OSError as error:
            os.close(fd)
            raise _failed("cannot lock the instance lock", path, error) from error
        os.close(fd)
    if held_by_another:
        raise InstanceLockError(
            f"instance {path.stem!r} is already running: {path} is locked by another process"
        )
    raise InstanceLockError(f"cannot lock {path}: it kept being replaced while starting")


def _is_named(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_if_named(locked: int, path: Path) -> None:
    # A file left behind holds no lock and reads as a dead instance, which is the truth, so a
    # failed removal is not worth an error.
    with contextlib.suppress(OSError):
        if _is_named(locked, path):
            path.unlink()


def _failed(what: str, path: Path, error: OSError) -> InstanceLockError:
    return InstanceLockError(f"{what} {path}: {error.strerror or error}")
