"""Finds a local Ollama to talk to when no provider key is configured."""

from __future__ import annotations

import httpx


async def local_ollama_models(base_url: str, wait_seconds: float = 1.0) -> list[str]:
    """The models a local Ollama serves, or [] when none answers in time."""
    try:
        async with httpx.AsyncClient(timeout=wait_seconds) as client:
            response = await client.get(f"{base_url.rstrip('/')}/api/tags")
            response.raise_for_status()
            models = response.json().get("models", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return []
    return [m["name"] for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)]
