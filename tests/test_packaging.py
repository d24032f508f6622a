"""The layers as installed (ADR 2) and the direction of their imports."""

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
    assert set(setuptools["packages"]) == on_disk
    assert setuptools["package-dir"] == {f"lukas.{layer}": layer for layer in LAYERS}


def test_the_domain_imports_nothing_from_outer_layers_or_io() -> None:
    forbidden = (
        "lukas.application",
        "lukas.adapters",
        "lukas.entrypoints",
        "aiosqlite",
        "sqlite3",
        "anyio",
        "any_llm",
        "openai",
        "slack_sdk",
        "httpx",
        "random",
        "time",
    )
    for source in (ROOT / "domain").rglob("*.py"):
        text = source.read_text()
        for name in forbidden:
            assert f"import {name}" not in text, f"{source.name} imports {name}"
            assert f"from {name} " not in text, source.name
            assert f"from {name}." not in text, source.name


def test_the_application_does_not_reach_into_adapters_or_entrypoints() -> None:
    for source in (ROOT / "application").rglob("*.py"):
        text = source.read_text()
        assert "lukas.adapters" not in text, source.name
        assert "lukas.entrypoints" not in text, source.name
