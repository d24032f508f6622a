"""`lukas console`: chat with Lukas in a terminal, through the same use cases as Slack."""

from __future__ import annotations

import getpass
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

import anyio
import attrs

from lukas.adapters.console.channel import ConsoleChannel
from lukas.adapters.console.terminal import TerminalInput
from lukas.application.handle_message import IncomingMessage
from lukas.application.make_picture import PictureRequest
from lukas.application.requests.intake import RequestIntake
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.images import THEMES
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.pictures import pictures_for_chat
from lukas.entrypoints.proactivity import live_settings
from lukas.entrypoints.request_desk import requests_for_chat
from lukas.entrypoints.wiring import Chat, open_chat

HELP = (
    "Chatting with Lukas. /reset starts a new conversation, /image [theme] draws a picture,"
    " /help lists the commands (/post, /remind, /config, ...), /quit leaves."
)
# Slash commands that are requests, as people would type them in Slack without the slash.
_REQUEST_COMMANDS = frozenset(
    {"post", "announce", "remind", "reminders", "cancel", "team", "status", "stats", "help"}
    | {"set", "change", "pause", "resume"}
)


def new_session(user: str, now: datetime) -> ConversationKey:
    # Unique per run, readable in `lukas replay`: who, when, and a little noise.
    safe_user = "".join(c if c.isalnum() or c in "._-" else "_" for c in user) or "user"
    return ConversationKey.console(f"{safe_user}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}")


async def run_console(
    config: Config,
    db: Path,
    environ: Mapping[str, str],
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    interactive = stdin.isatty() and stdout.isatty()
    channel = ConsoleChannel(stdout, stderr, interactive=interactive)
    user = getpass.getuser()
    async with open_chat(config, db, environ, channel) as chat:
        if chat.notice:
            channel.notice(chat.notice)
        # What a crash left behind is finished before anything new is read.
        await chat.recover()
        requests = requests_for_chat(
            config,
            chat,
            settings=live_settings(config, chat),
            channels=channel,
            dms=channel,
            lukas_id="lukas",
            # In a terminal the person at the keyboard runs Lukas: they are an admin.
            admins=(*config.admin_users, f"console:{user}"),
        )
        session = new_session(user, chat.clock.now())
        if interactive:
            channel.notice(f"{HELP} (conversation {session})")
        console = _Console(config, db, environ, chat, channel, requests.intake, user)
        lines = TerminalInput(stdin, interactive=interactive).lines()
        async with anyio.create_task_group() as background:
            background.start_soon(requests.reminders.run)
            await _converse(console, lines, session)
            background.cancel_scope.cancel()
    return 0


@attrs.frozen
class _Console:
    config: Config
    db: Path
    environ: Mapping[str, str]
    chat: Chat
    channel: ConsoleChannel
    intake: RequestIntake
    user: str


async def _converse(console: _Console, lines: AsyncIterator[str], session: ConversationKey) -> None:
    config, db, environ, chat = console.config, console.db, console.environ, console.chat
    channel, intake, user = console.channel, console.intake, console.user
    sequence = 0
    async for line in lines:
        text = line.strip()
        if not text:
            continue
        if text == "/quit":
            break
        if text == "/reset":
            session = new_session(user, chat.clock.now())
            channel.notice(f"Started a new conversation ({session}).")
            continue
        if text == "/image" or text.startswith("/image "):
            await _draw(
                config,
                db,
                environ,
                chat=chat,
                channel=channel,
                argument=text.removeprefix("/image"),
                user=user,
            )
            continue
        command = as_request_text(text)
        if command is None:
            channel.notice(f"Unknown command {text.split()[0]!r}. {HELP}")
            continue
        sequence += 1
        incoming = IncomingMessage(
            conversation=session,
            author_id=f"console:{user}",
            author_name=user,
            text=command,
            platform_message_id=f"{sequence}",
        )
        request = intake.recognise(incoming)
        if request is not None:
            await intake.carry_out(incoming, request)
        else:
            await chat.handler.handle(incoming)


def as_request_text(line: str) -> str | None:
    """What a console line says, as it would be said in Slack: "/remind me ..." is
    "remind me ..."; "/config" shows the settings and "/config X to Y" sets one. None for
    a slash command the console does not know."""
    if not line.startswith("/"):
        return line
    word, _, rest = line[1:].partition(" ")
    if word == "config":
        return f"set {rest}" if rest.strip() else "status"
    return line[1:] if word in _REQUEST_COMMANDS else None


async def _draw(
    config: Config,
    db: Path,
    environ: Mapping[str, str],
    *,
    chat: Chat,
    channel: ConsoleChannel,
    argument: str,
    user: str,
) -> None:
    theme = argument.strip().lower() or None
    if theme is not None and theme not in THEMES:
        channel.notice(f"Themes I can draw: {', '.join(sorted(THEMES))}.")
        return
    try:
        async with pictures_for_chat(config, environ, chat, db, poster=None) as maker:
            outcome = await maker.make(
                PictureRequest(trigger="request", theme=theme, requester=f"console:{user}")
            )
    except ConfigError as error:
        channel.notice(f"No picture: {error}")
        return
    if outcome.file:
        channel.notice(f"{outcome.caption} (picture saved at {outcome.file})")
    else:
        channel.notice(f"No picture this time ({outcome.failure}); `lukas replay` says why.")
