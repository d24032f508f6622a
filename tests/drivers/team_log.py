"""A team's log made the way Lukas makes one: a console conversation answered through the
OpenAI stand-in, a picture drawn by `lukas image`, a reminder set in the console, and a
roster member recorded through the real store (only Slack's sync writes those)."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
from standins.openai_server import OpenAIStandIn, Reply

from drivers.lukas_cli import lukas_runner
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.events import MemberJoined

# People's messages are untrusted: the pages must show this as text, never run it.
HOSTILE = "<script>document.title='owned'</script><b>bold?</b>"
FIRST = "Hi Lukas, how is the honey supply?"
REPLY = "Plenty of honey here, friend! \U0001f36f"
MEMBER = MemberJoined(
    member_id="U0ADA", name="ada", real_name="Ada Lovelace", is_bot=False, timezone="UTC"
)


def env_for(openai: OpenAIStandIn, db: Path) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-web-0123456789abcdef",
        "LUKAS_LLM_API_BASE": openai.base_url,
        "LUKAS_IMAGE_API_BASE": openai.base_url,
        "LUKAS_DB": str(db),
    }


def make_team_log(folder: Path, openai: OpenAIStandIn) -> Path:
    """The log at `folder`/lukas.db; its pictures beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "lukas.db"
    run = lukas_runner(folder)
    env = env_for(openai, db)
    openai.script(Reply(REPLY), Reply("Noted, with a raised paw."))
    chat = run(
        "console", stdin=f"{FIRST}\n{HOSTILE}\n/remind me in 5 minutes to stretch\n", env=env
    )
    assert chat.returncode == 0, chat.stderr
    openai.script(Reply("A bear in the snow, waving at the team!"))
    picture = run("image", "--theme", "winter", env=env)
    assert picture.returncode == 0, picture.stderr
    anyio.run(_add_member, db)
    return db


async def _add_member(db: Path) -> None:
    async with await SqliteEventStore.open(db, SystemClock(), create=True) as store:
        metadata = EventMetadata("test-roster")
        await store.append("roster", [NewEvent("test-member-ada", MEMBER, metadata)], None)


def copy_log(db: Path, into: Path) -> Path:
    """A copy of the log and its pictures, for a test that writes to it."""
    into.mkdir(parents=True, exist_ok=True)
    for path in db.parent.iterdir():
        if path.name.startswith(db.name):
            target = into / path.name
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
    return into / db.name
