from __future__ import annotations

from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas, lukas_runner


@pytest.fixture
def run_lukas(tmp_path: Path) -> RunLukas:
    return lukas_runner(tmp_path)
