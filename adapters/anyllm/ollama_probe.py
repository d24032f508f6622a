"""Finds a local Ollama to talk to when no provider key is configured."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio


async def local_ollama_models(base_url: str, wait_seconds: float = 1.0) -> list[str]:
    """The models a local Ollama serves, or [] when none answers in time."""
    if not await _listening(base_url, wait_seconds):
        return []
    # Only when something listens: httpx and its TLS set-up take a quarter of a second,
    # which a start-up without Ollama (the usual case) should not pay.
    import httpx

    try:
        async with httpx.AsyncClient(timeout=wait_seconds) as client:
            response = await client.get(f"{base_url.rstrip('/')}/api/tags")
            response.raise_for_status()
            models = response.json().get("models", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return []
    return [m["name"] for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)]


async def _listening(base_url: str, wait_seconds: float) -> bool:
    """Whether anything accepts a connection where Ollama would be; a refused port, the
    common case, answers at once."""
    try:
        parts = urlsplit(base_url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port that is not a number
        return False
    if not host:
        return False
    try:
        with anyio.fail_after(wait_seconds):
            stream = await anyio.connect_tcp(host, port)
    except (OSError, TimeoutError):
        return False
    await stream.aclose()
    return True
