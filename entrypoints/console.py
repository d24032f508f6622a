"""`lukas console`: chat with Lukas in a terminal, through the same use cases as Slack."""

from __future__ import annotations

import getpass
import secrets
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

from lukas.adapters.console.channel import ConsoleChannel
from lukas.adapters.console.terminal import TerminalInput
from lukas.application.handle_message import IncomingMessage
from lukas.application.make_picture import PictureRequest
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.images import THEMES
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.pictures import pictures_for_chat
from lukas.entrypoints.wiring import Chat, open_chat

HELP = (
    "Chatting with Lukas. /reset starts a new conversation, /image [theme] draws a picture,"
    " /quit leaves."
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
        session = new_session(user, chat.clock.now())
        if interactive:
            channel.notice(f"{HELP} (conversation {session})")
        sequence = 0
        async for line in TerminalInput(stdin, interactive=interactive).lines():
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
            sequence += 1
            await chat.handler.handle(
                IncomingMessage(
                    conversation=session,
                    author_id=f"console:{user}",
                    author_name=user,
                    text=text,
                    platform_message_id=f"{sequence}",
                )
            )
    return 0


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
