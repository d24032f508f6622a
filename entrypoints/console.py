"""`lukas console`: chat with Lukas in a terminal, through the same use cases as Slack."""

from __future__ import annotations

import getpass
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import TextIO

import anyio
import anyio.abc
import attrs

from lukas.adapters.console.channel import ConsoleChannel
from lukas.adapters.console.terminal import TerminalInput
from lukas.application.handle_message import IncomingMessage
from lukas.application.make_picture import PictureRequest
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.images import THEMES
from lukas.entrypoints.bootstrap import Lukas
from lukas.entrypoints.config import Config
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.wiring import Platform, open_lukas

HELP = (
    "Chatting with Lukas. /reset starts a new conversation, /image [theme] draws a picture,"
    " /help lists the commands (/post, /remind, /config, ...), /quit leaves."
)
# Slash commands that are requests, as people would type them in Slack without the slash.
_REQUEST_COMMANDS = frozenset(
    {"post", "announce", "remind", "reminders", "cancel", "team", "status", "stats", "help"}
    | {"set", "change", "pause", "resume", "forget", "yes"}
)


def new_session(user: str, now: datetime) -> ConversationKey:
    # Unique per run, readable in `lukas replay`: who, when, and a little noise.
    safe_user = "".join(c if c.isalnum() or c in "._-" else "_" for c in user) or "user"
    return ConversationKey.console(f"{safe_user}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}")


async def run_console(
    config: Config,
    db: Location,
    environ: Mapping[str, str],
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    interactive = stdin.isatty() and stdout.isatty()
    with TerminalInput(stdin, interactive=interactive, out=stdout) as terminal:
        channel = ConsoleChannel(
            stdout, stderr, interactive=interactive, show=terminal.show if interactive else None
        )
        interrupted = await _chat(config, db, environ, channel, terminal, interactive=interactive)
    # Ctrl-C: the shell's usual status for a program stopped by SIGINT.
    return 130 if interrupted else 0


async def _chat(
    config: Config,
    db: Location,
    environ: Mapping[str, str],
    channel: ConsoleChannel,
    terminal: TerminalInput,
    *,
    interactive: bool,
) -> bool:
    """The session; True when Ctrl-C at a terminal ended it."""
    user = getpass.getuser()
    platform = Platform(
        channel=channel,
        announcements=channel,
        dms=channel,
        lukas_id="lukas",
        # In a terminal the person at the keyboard runs Lukas: they are an admin.
        extra_admins=(f"console:{user}",),
    )
    interrupted = anyio.Event()
    async with open_lukas(config, db, environ, platform) as opened:
        lukas = opened.lukas
        if opened.notice:
            channel.notice(opened.notice)
        if opened.log_notice:
            channel.notice(opened.log_notice)
        # Forgetting comes first: nothing is read that should be forgotten by now.
        await lukas.forgetting.finish_unfinished()
        await lukas.retention.apply()
        # What a crash left behind is finished before anything new is read.
        await lukas.recovery.run()
        session = new_session(user, lukas.clock.now())
        channel.converse_in(session)
        if interactive:
            channel.notice(f"{HELP} (conversation {session})")
        # Only now: the SDK's import (seconds, mostly holding the GIL) must not delay the
        # prompt, and a /quit or Ctrl-D does not wait for it (it runs in a daemon thread).
        opened.prepare()
        async with anyio.create_task_group() as background:
            background.start_soon(lukas.reminders.run)
            background.start_soon(lukas.retention.run)
            if interactive:
                # Ctrl-C leaves at once, whatever the reading thread is doing.
                await background.start(_leave_on_interrupt, interrupted, background.cancel_scope)
            console = _Console(lukas, channel, user, opened.no_pictures)
            await _converse(console, terminal.lines(), session)
            background.cancel_scope.cancel()
        # The next start folds the pending work from here, not from the log's start.
        await lukas.recovery.keep_checkpoint()
    return interrupted.is_set()


async def _leave_on_interrupt(
    interrupted: anyio.Event,
    scope: anyio.CancelScope,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    with anyio.open_signal_receiver(signal.SIGINT) as signals:
        task_status.started()
        async for _ in signals:
            interrupted.set()
            scope.cancel()
            return


@attrs.frozen
class _Console:
    lukas: Lukas
    channel: ConsoleChannel
    user: str
    no_pictures: str | None


async def _converse(console: _Console, lines: AsyncIterator[str], session: ConversationKey) -> None:
    lukas, channel, user = console.lukas, console.channel, console.user
    sequence = 0
    async for line in lines:
        text = line.strip()
        if not text:
            continue
        if text == "/quit":
            break
        if text == "/reset":
            session = new_session(user, lukas.clock.now())
            channel.converse_in(session)
            channel.notice(f"Started a new conversation ({session}).")
            continue
        if text == "/image" or text.startswith("/image "):
            await _draw(console, argument=text.removeprefix("/image"))
            continue
        said = as_request_text(text)
        if said is None:
            channel.notice(f"Unknown command {text.split()[0]!r}. {HELP}")
            continue
        sequence += 1
        # The same way in as a Slack message: recorded with its route, then carried out.
        await lukas.inbound.take(
            IncomingMessage(
                conversation=session,
                author_id=f"console:{user}",
                author_name=user,
                text=said,
                platform_message_id=f"{sequence}",
            )
        )


def as_request_text(line: str) -> str | None:
    """What a console line says, as it would be said in Slack: "/remind me ..." is
    "remind me ..."; "/config" shows the settings and "/config X to Y" sets one. None for
    a slash command the console does not know."""
    if not line.startswith("/"):
        return line
    word, _, rest = line[1:].partition(" ")
    word = word.rstrip(",")  # "/yes, forget me"
    if word == "config":
        return f"set {rest}" if rest.strip() else "status"
    return line[1:] if word in _REQUEST_COMMANDS else None


async def _draw(console: _Console, *, argument: str) -> None:
    lukas, channel = console.lukas, console.channel
    theme = argument.strip().lower() or None
    if theme is not None and theme not in THEMES:
        channel.notice(f"Themes I can draw: {', '.join(sorted(THEMES))}.")
        return
    if lukas.pictures is None:
        channel.notice(f"No picture: {console.no_pictures}")
        return
    outcome = await lukas.pictures.make(
        PictureRequest(trigger="request", theme=theme, requester=f"console:{console.user}")
    )
    if outcome.file:
        channel.notice(f"{outcome.caption} (picture saved at {outcome.file})")
    else:
        channel.notice(f"No picture this time ({outcome.failure}); `lukas replay` says why.")
