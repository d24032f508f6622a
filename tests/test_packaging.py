"""The layers as installed (ADR 2). The direction of their imports is import-linter's to
check (ADR 13, tests/test_layer_rules.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("domain", "application", "adapters", "entrypoints")


def test_every_layer_package_is_listed_in_pyproject() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        "lukas." + ".".join(init.parent.relative_to(ROOT).parts)
        for layer in LAYERS
        for init in (ROOT / layer).rglob("__init__.py")
    }
    # Folders of files that ship with the code (templates, static files) are listed too.
    data_folders = set(setuptools.get("package-data", {}))
    assert set(setuptools["packages"]) == on_disk | data_folders
    assert setuptools["package-dir"] == {f"lukas.{layer}": layer for layer in LAYERS}


def test_the_web_pages_files_ship_in_the_package() -> None:
    """Templates and static files are package data, so an installed wheel serves them: each
    one on disk is matched by the globs pyproject gives setuptools."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = setuptools["package-data"]
    for package, folder in (
        ("lukas.entrypoints.web.templates", ROOT / "entrypoints/web/templates"),
        ("lukas.entrypoints.web.static", ROOT / "entrypoints/web/static"),
    ):
        files = [p for p in folder.iterdir() if p.is_file()]
        assert files
        for file in files:
            assert any(file.match(glob) for glob in globs[package]), file
    from lukas.entrypoints.web.site import STATIC, TEMPLATES

    assert (TEMPLATES / "base.html").is_file()
    assert (STATIC / "live.js").is_file()
