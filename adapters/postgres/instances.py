"""Instance leases in PostgreSQL (ADR 26): each process holds a session-level advisory lock
on its id's hash, on a connection of its own, for as long as it lives. The server drops the
lock when that session ends, however the process ends (SIGKILL, a lost machine: once the
server notices the dead connection), so processes on any host see each other's leases.

`is_alive` is a question the port asks synchronously, so it runs on a plain (blocking)
connection: one short query on pg_locks, without taking anything.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

import psycopg

from lukas.adapters.locks.instance_locks import InstanceLockError, check_instance_id
from lukas.adapters.postgres.connection import CONNECT_TIMEOUT_SECONDS, describe
from lukas.application.ports.event_store import EventStoreError

# "LUKI": the first key of every instance lease; the second is hashtext(instance id).
LEASE_CLASS = 0x4C554B49
# A lease session on a dead network is noticed within about 15 s, not the system's hours.
_KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}

_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = %s::oid AND objid = hashtext(%s)::oid AND objsubid = 2 AND granted)"
)


class LeaseLostError(EventStoreError):
    pass


class PostgresInstances:
    """The `Instances` port over advisory locks in the event store's database."""

    def __init__(self, lease: psycopg.Connection[Any], me: str, url: str) -> None:
        """Use `start`, which takes the lease this object then owns."""
        self._lease = lease
        self._me = me
        self._url = url
        self._asking = threading.Lock()

    @classmethod
    def start(cls, url: str, instance_id: str) -> PostgresInstances:
        check_instance_id(instance_id)
        try:
            lease = psycopg.connect(
                url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **_KEEPALIVE
            )
        except psycopg.Error as error:
            raise InstanceLockError(
                f"cannot take the instance lease in {describe(url)}: {type(error).__name__}"
            ) from error
        try:
            row = lease.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LEASE_CLASS, instance_id]
            ).fetchone()
            if not row or not row[0]:
                raise InstanceLockError(
                    f"instance id {instance_id!r} is held by a running process "
                    f"(or shares its hash) in {describe(url)}"
                )
        except BaseException:
            lease.close()
            raise
        return cls(lease, instance_id, url)

    @property
    def me(self) -> str:
        return self._me

    @property
    def backend_pid(self) -> int:
        """The server process holding the lease (what an operator or a test would end)."""
        return int(self._lease.info.backend_pid)

    def is_alive(self, instance_id: str) -> bool:
        if check_instance_id(instance_id) == self._me:
            return True
        try:
            with self._asking:
                row = self._lease.execute(_HELD, [LEASE_CLASS, instance_id]).fetchone()
        except psycopg.Error as error:
            raise InstanceLockError(
                f"cannot check instance {instance_id!r} in {describe(self._url)}: "
                f"{type(error).__name__}"
            ) from error
        return bool(row and row[0])

    def check_lease(self) -> None:
        """Raises LeaseLostError when this process's lease session broke: the others may
        already take it for dead and finish its work, so it must stop (ADR 26). Blocking:
        run it in a thread."""
        try:
            with self._asking:
                self._lease.execute("SELECT 1")
        except psycopg.Error as error:
            raise LeaseLostError(
                f"lost this process's lease in {describe(self._url)} ({type(error).__name__}): "
                "stopping, since the others may now take over its work; start it again"
            ) from error

    def close(self) -> None:
        # Released before the goodbye: a closed session's locks go only once the server
        # has noticed, which a peer asking right after must not have to wait for.
        if not self._lease.closed:
            try:
                with self._asking:
                    self._lease.execute(
                        "SELECT pg_advisory_unlock(%s, hashtext(%s))", [LEASE_CLASS, self._me]
                    )
            except psycopg.Error:
                pass  # a lost session has dropped the lease already
        self._lease.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
