"""`lukas web` as a command: where it may listen, what it says at start, and one line when
it may not start."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_web import lukas_web

pytestmark = pytest.mark.slow

TOKEN = "cli-test-token-0123456789abcdef"
EVERYWHERE = "0.0.0.0"  # noqa: S104  (what is refused without a token)


def test_without_sign_in_it_refuses_to_listen_beyond_this_machine(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    run = run_lukas("web", "--host", EVERYWHERE, "--port", "0", "--db", str(tmp_path / "x.db"))
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert line.startswith(f"lukas: --host {EVERYWHERE} without sign-in")
    assert "LUKAS_WEB_TOKEN" in line


def test_a_weak_token_is_refused_in_one_line_without_showing_it(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    run = run_lukas("web", "--port", "0", env={"LUKAS_WEB_TOKEN": "hunter2hunter"})
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert "LUKAS_WEB_TOKEN must be at least 16 characters" in line
    assert "hunter2hunter" not in line


def test_a_port_in_use_is_one_line(run_lukas: RunLukas) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_lukas("web", "--port", str(port))
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert line.startswith(f"lukas: cannot listen on 127.0.0.1:{port}")


@pytest.mark.parametrize("port", ["http", "70000", "-1"])
def test_a_bad_port_is_a_usage_error(run_lukas: RunLukas, port: str) -> None:
    run = run_lukas("web", "--port", port)
    assert run.returncode == 2
    assert "not a port" in run.stderr or "expected one argument" in run.stderr


def test_without_sign_in_it_says_so_at_start_and_serves_this_machine(tmp_path: Path) -> None:
    db = tmp_path / "lukas.db"
    with lukas_web(db, {}) as server:
        assert "no sign-in (LUKAS_WEB_TOKEN is not set)" in server.first_line
        assert server.url.startswith("http://127.0.0.1:")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.url + "/", timeout=10)  # noqa: S310
        assert missing.value.code == 503  # no log there yet: a page that says so
        assert "there is no event log at" in missing.value.read().decode()
    assert server.process.returncode == 0  # SIGTERM stops it cleanly
    assert not db.exists()


def test_with_a_token_it_may_listen_everywhere_and_asks_for_sign_in(tmp_path: Path) -> None:
    with lukas_web(
        tmp_path / "lukas.db", {"LUKAS_WEB_TOKEN": TOKEN}, "--host", EVERYWHERE
    ) as server:
        assert "admins sign in with LUKAS_WEB_TOKEN" in server.first_line
        assert TOKEN not in server.first_line
        with urllib.request.urlopen(server.url + "/", timeout=10) as page:  # noqa: S310
            assert page.url.endswith("/signin")
    assert server.process.returncode == 0
