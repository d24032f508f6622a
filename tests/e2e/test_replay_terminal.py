"""`lukas replay` on a terminal: lines fitted to its width, coloured unless NO_COLOR is set."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from drivers.lukas_cli import LUKAS, RunLukas, clean_environment

from lukas.entrypoints.timeline import columns

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG = "Hi Lukas, " + "tell me about honey and the forest in the spring " * 4


def replay_on_a_terminal(db: Path, cwd: Path, env: dict[str, str]) -> str:
    """What a person sees: stdout is a pseudo-terminal, as in a shell."""
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [str(LUKAS), "replay", "--db", str(db)],
            stdout=follower,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=clean_environment(env),
            timeout=60,
            check=False,
        )
        os.close(follower)
        assert done.returncode == 0, done.stderr
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # Linux: EIO once the far end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return shown.decode("utf-8").replace("\r\n", "\n")


def test_replay_fits_a_terminal_and_colours_unless_told_not_to(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    chat = run_lukas("console", stdin=f"{LONG}\nSecond\n", env={"LUKAS_DB": str(db)})
    assert chat.returncode == 0, chat.stderr
    piped = run_lukas("replay", "--db", str(db)).stdout.splitlines()
    assert max(columns(line) for line in piped) > 100  # whole lines when piped
    assert not any("\x1b" in line for line in piped)

    coloured = replay_on_a_terminal(db, tmp_path, {"COLUMNS": "100"}).splitlines()
    plain = [ANSI.sub("", line) for line in coloured]
    assert len(plain) == len(piped)
    assert all(columns(line) <= 100 for line in plain)
    assert "\x1b[31mReplyFailed\x1b[0m" in "\n".join(coloured)  # no provider: fallbacks
    # The same events, the columns before each summary untouched.
    for seen, whole in zip(plain, piped, strict=True):
        assert seen.split()[:4] == whole.split()[:4]

    uncoloured = replay_on_a_terminal(db, tmp_path, {"COLUMNS": "100", "NO_COLOR": "1"})
    assert uncoloured.splitlines() == plain
