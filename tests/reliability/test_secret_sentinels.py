"""Made-up secrets in every credential variable, a provider that quotes them back in its
errors, debug logging on: no secret may show up in any output or anywhere in the files."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import httpx
import pytest
from drivers.lukas_cli import Run, lukas_runner
from drivers.lukas_web import lukas_web
from standins.openai_server import Failure, OpenAIStandIn, Reply

pytestmark = pytest.mark.slow

# Random per run and shaped like no real credential, so only Lukas's knowledge of the values
# (not a pattern for what keys look like) can keep them out.
SENTINELS = {
    name: f"sentinel-{name.lower().replace('_', '-')}-{secrets.token_hex(12)}"
    for name in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "LUKAS_WEB_TOKEN",
        "XYZ_SECRET",
    )
}
OPENAI_KEY = SENTINELS["OPENAI_API_KEY"]
FINE_REPLY = "Hello from a bear who keeps secrets"


def leaks(text: str) -> list[str]:
    """Which sentinels (whole, or their random part alone) appear in `text`."""
    return [
        name
        for name, value in SENTINELS.items()
        if value in text or value.rsplit("-", 1)[1] in text
    ]


def environment(standin: OpenAIStandIn, db: Path) -> dict[str, str]:
    return {
        **SENTINELS,
        "LUKAS_LLM_API_BASE": standin.base_url,
        "LUKAS_DB": str(db),
        "LUKAS_LOG_LEVEL": "DEBUG",
        "LUKAS_LLM_ATTEMPTS": "1",  # one request per message: a 500 is not retried
        "LUKAS_ADMIN_USERS": "UADMIN",
    }


def leaks_in_files(folder: Path) -> dict[str, list[str]]:
    """Sentinels in the raw bytes of every file under `folder` (the database, its -wal...)."""
    texts = {
        str(path.relative_to(folder)): path.read_bytes().decode("utf-8", "replace")
        for path in folder.rglob("*")
        if path.is_file()
    }
    return {name: leaks(text) for name, text in texts.items() if leaks(text)}


def test_no_secret_appears_in_any_output_or_file(
    openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script(
        Failure(401, f"Incorrect API key provided: {OPENAI_KEY}. You can find your key at ..."),
        # A proxy in front of the provider that echoes the header it was sent.
        Failure(500, f"upstream failed for Authorization: Bearer {OPENAI_KEY}"),
        Reply(FINE_REPLY),
    )
    db = tmp_path / "lukas.db"
    env = environment(openai_standin, db)
    run = lukas_runner(tmp_path)
    outputs: dict[str, Run] = {}

    outputs["console"] = run("console", stdin="Hi\nAre you there?\nThird time lucky\n", env=env)
    assert outputs["console"].returncode == 0, outputs["console"].stderr
    # The provider really was sent the key, so there was something to leak.
    chats = openai_standin.chat_requests()
    assert len(chats) == 3
    assert all(r.headers.get("authorization") == f"Bearer {OPENAI_KEY}" for r in chats)
    assert outputs["console"].stdout.split("\n\n")[-1].strip() == FINE_REPLY
    assert "DEBUG" in outputs["console"].stderr  # debug logging was on

    outputs["replay"] = run("replay", env=env)
    outputs["replay jsonl"] = run("replay", "--format", "jsonl", env=env)
    timeline = [json.loads(line) for line in outputs["replay jsonl"].stdout.splitlines()]
    kinds = [e["data"]["kind"] for e in timeline if e["type"] == "ReplyFailed"]
    assert kinds == ["authentication", "provider"]
    [key] = {e["data"]["conversation"] for e in timeline if e["type"] == "MessageReceived"}
    outputs["context"] = run("context", key, env=env)
    outputs["context at 4"] = run("context", key, "--at", "4", env=env)
    outputs["context json"] = run("context", key, "--format", "json", env=env)
    outputs["conversations"] = run("conversations", env=env)
    outputs["config show"] = run("config", "show", env=env)
    outputs["stats"] = run("stats", env=env)

    web_pages = _web_pages(db, env, key)
    found = {f"web {path}": leaks(text) for path, text in web_pages.items() if leaks(text)}
    found |= {
        f"{command} {stream}": leaks(text)
        for command, done in outputs.items()
        for stream, text in (("stdout", done.stdout), ("stderr", done.stderr))
        if leaks(text)
    }
    assert db.exists()
    found |= leaks_in_files(tmp_path)
    assert found == {}
    # Every command worked, so each had its chance to print something.
    assert {name: done.returncode for name, done in outputs.items() if done.returncode} == {}
    assert "OPENAI_API_KEY" in outputs["config show"].stdout  # says whether it is set, not what


def _web_pages(db: Path, env: dict[str, str], key: str) -> dict[str, str]:
    """Every page of `lukas web`, signed in with the sentinel token, and its stderr."""
    with lukas_web(db, env) as server, httpx.Client(base_url=server.url) as client:
        form = client.get("/signin").text
        [csrf] = re.findall(r'name="csrf" value="([^"]+)"', form)
        token = SENTINELS["LUKAS_WEB_TOKEN"]
        signed_in = client.post("/signin", data={"csrf": csrf, "token": token})
        assert signed_in.headers["location"] == "/"  # the token worked, so it was used
        paths = ["/", "/conversations", f"/conversations/{key}", "/pictures", "/usage"]
        pages = {path: client.get(path).text for path in [*paths, "/settings", "/people"]}
        assert "LUKAS_THREAD_PROBABILITY" in pages["/settings"]
    pages["stderr"] = server.stderr
    return pages


def test_the_search_would_see_a_leak() -> None:
    """The check above is only as good as `leaks`: it must find whole and partial values."""
    value = SENTINELS["SLACK_APP_TOKEN"]
    assert leaks(f"token={value}") == ["SLACK_APP_TOKEN"]
    assert leaks(f"...{value.rsplit('-', 1)[1]}...") == ["SLACK_APP_TOKEN"]
    assert leaks("nothing to see") == []


def test_no_other_secret_is_stored_when_a_provider_echoes_it(
    openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script(
        Failure(
            500,
            f"upstream failed (x-secret: {SENTINELS['XYZ_SECRET']},"
            f" anthropic: {SENTINELS['ANTHROPIC_API_KEY']})",
        )
    )
    db = tmp_path / "lukas.db"
    console = lukas_runner(tmp_path)("console", stdin="Hi\n", env=environment(openai_standin, db))
    assert console.returncode == 0, console.stderr
    assert leaks(console.stdout + console.stderr) == []  # the logs redact every secret...
    assert leaks_in_files(tmp_path) == {}  # ...but the event log keeps these two
