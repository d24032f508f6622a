"""Chromium for the browser tests: Debian's package, driven by Playwright (its own browser
download needs the internet). Outside CI a machine without it skips them, saying why; in CI
(`CI=true`) they must run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
# Not committed (.gitignore): the latest screenshots, to look at.
SCREENSHOTS = ROOT / "screenshots"


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    why = (
        f"browser tests: no Chromium at {CHROMIUM}; `make test` installs Debian's chromium"
        " when run as root (apt-get install chromium)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(why + ", and in CI they must run")
    pytest.skip(why)


def keep_screenshot(shot: Path) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy2(shot, SCREENSHOTS / shot.name)
