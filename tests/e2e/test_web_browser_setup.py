"""Without Chromium the browser tests skip with one clear line, except in CI, where they
must run and so fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from drivers import browser


def test_without_chromium_the_browser_tests_skip_saying_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make test` installs Debian's chromium"):
        browser.chromium_or_skip()


def test_in_ci_a_missing_chromium_fails_the_browser_tests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI they must run"):
        browser.chromium_or_skip()
