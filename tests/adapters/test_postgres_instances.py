"""Instance leases in PostgreSQL beyond the contract: a lease whose session broke is
noticed, and said in one line."""

from __future__ import annotations

import psycopg
import pytest

from lukas.adapters.locks.instance_locks import InstanceLockError
from lukas.adapters.postgres.instances import LeaseLostError, PostgresInstances


def test_a_broken_lease_session_is_noticed(postgres_url: str) -> None:
    with PostgresInstances.start(postgres_url, "instance-a") as mine:
        mine.check_lease()  # standing
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", [mine.backend_pid])
        with pytest.raises(LeaseLostError) as raised:
            mine.check_lease()
    assert "\n" not in str(raised.value)
    assert "lost this process's lease in postgresql://" in str(raised.value)


def test_an_id_held_by_a_running_process_is_refused(postgres_url: str) -> None:
    with (
        PostgresInstances.start(postgres_url, "instance-a"),
        pytest.raises(InstanceLockError, match="held by a running process"),
    ):
        PostgresInstances.start(postgres_url, "instance-a")
