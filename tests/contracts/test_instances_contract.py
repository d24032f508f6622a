"""The instances contract, run against every implementation: the fake, the lock files and
PostgreSQL's advisory locks.

Each implementation comes with a way to start, stop and crash *other* instances: for the lock
files, other FileLockInstances on the same directory in this process; for the fake, telling it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import psycopg
import pytest
from fakes.instances import FakeInstances

from lukas.adapters.locks.instance_locks import FileLockInstances
from lukas.adapters.postgres.instances import PostgresInstances
from lukas.application.ports.instances import Instances

ME = "instance-a"


class Peers(Protocol):
    def start(self, instance_id: str) -> None: ...
    def stop(self, instance_id: str) -> None: ...
    def crash(self, instance_id: str) -> None: ...


class FakePeers:
    def __init__(self, fake: FakeInstances) -> None:
        self._fake = fake

    def start(self, instance_id: str) -> None:
        self._fake.revive(instance_id)

    def stop(self, instance_id: str) -> None:
        self._fake.kill(instance_id)

    def crash(self, instance_id: str) -> None:
        self._fake.kill(instance_id)


class FilePeers:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self.running: dict[str, FileLockInstances] = {}

    def start(self, instance_id: str) -> None:
        self.running[instance_id] = FileLockInstances.start(self._directory, instance_id)

    def stop(self, instance_id: str) -> None:
        self.running.pop(instance_id).close()

    def crash(self, instance_id: str) -> None:
        # What a killed process leaves: its file, which nobody locks any more.
        self.stop(instance_id)
        (self._directory / f"{instance_id}.lock").write_text("4242\n")


class PostgresPeers:
    def __init__(self, url: str) -> None:
        self._url = url
        self.running: dict[str, PostgresInstances] = {}

    def start(self, instance_id: str) -> None:
        self.running[instance_id] = PostgresInstances.start(self._url, instance_id)

    def stop(self, instance_id: str) -> None:
        self.running.pop(instance_id).close()

    def crash(self, instance_id: str) -> None:
        # What a killed process leaves: its session ended by the server, not by a goodbye.
        gone = self.running.pop(instance_id)
        with psycopg.connect(self._url, autocommit=True) as admin:
            # Waits (up to 5 s) until the session is gone, and its locks with it.
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", [gone.backend_pid])
        gone.close()


@pytest.fixture(params=["fake", "file", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Instances, Peers]]:
    if request.param == "fake":
        fake = FakeInstances(ME)
        yield fake, FakePeers(fake)
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        pg_peers = PostgresPeers(url)
        with PostgresInstances.start(url, ME) as pg:
            yield pg, pg_peers
        for running in pg_peers.running.values():
            running.close()
        return
    directory = tmp_path / "lukas.db.instances"
    peers = FilePeers(directory)
    with FileLockInstances.start(directory, ME) as mine:
        yield mine, peers
    for other in peers.running.values():
        other.close()


def test_me_is_the_id_started_with_and_is_alive(world: tuple[Instances, Peers]) -> None:
    instances, _ = world
    assert instances.me == ME
    assert instances.is_alive(ME)


def test_an_id_that_never_started_is_not_alive(world: tuple[Instances, Peers]) -> None:
    instances, _ = world
    assert not instances.is_alive("instance-never")


def test_another_running_instance_is_alive_however_often_asked(
    world: tuple[Instances, Peers],
) -> None:
    instances, peers = world
    peers.start("instance-b")
    assert [instances.is_alive("instance-b") for _ in range(3)] == [True, True, True]


def test_an_instance_that_stopped_is_not_alive(world: tuple[Instances, Peers]) -> None:
    instances, peers = world
    peers.start("instance-b")
    peers.stop("instance-b")
    assert not instances.is_alive("instance-b")


def test_an_instance_that_crashed_is_not_alive_however_often_asked(
    world: tuple[Instances, Peers],
) -> None:
    instances, peers = world
    peers.start("instance-b")
    peers.crash("instance-b")
    assert [instances.is_alive("instance-b") for _ in range(3)] == [False, False, False]


def test_a_dead_id_that_starts_again_is_alive(world: tuple[Instances, Peers]) -> None:
    instances, peers = world
    peers.start("instance-b")
    peers.crash("instance-b")
    assert not instances.is_alive("instance-b")
    peers.start("instance-b")
    assert instances.is_alive("instance-b")


def test_one_death_leaves_the_others_alive(world: tuple[Instances, Peers]) -> None:
    instances, peers = world
    for other in ("instance-b", "instance-c"):
        peers.start(other)
    peers.crash("instance-b")
    assert (instances.is_alive("instance-b"), instances.is_alive("instance-c")) == (False, True)


@pytest.mark.parametrize(
    "bad_id",
    ["", "../instance-b", "a/b", "a.b", "a b", "a\n", "é", "x" * 65, "/etc/passwd", ".."],
)
def test_an_id_that_could_not_be_a_plain_file_name_is_refused(
    world: tuple[Instances, Peers], bad_id: str
) -> None:
    instances, _ = world
    with pytest.raises(ValueError, match="invalid instance id"):
        instances.is_alive(bad_id)


def test_the_longest_allowed_id_is_accepted(world: tuple[Instances, Peers]) -> None:
    instances, peers = world
    longest = "A-z_9" * 12 + "abcd"
    peers.start(longest)
    assert instances.is_alive(longest)
