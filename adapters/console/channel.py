"""The terminal as a chat platform: replies on stdout, notices on stderr.

With piped input each reply is one block on stdout and blocks are separated by a blank
line, so `lukas console < questions.txt > answers.txt` gives a transcript a program can
split. Blank lines inside a reply are dropped there, or one reply would read as two.
"""

from __future__ import annotations

import secrets
from typing import TextIO

from lukas.application.ports.announcements import PostedToChannel
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.direct_messages import SentDirect
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.requests import is_channel_id

# Slack's ids are upper case with digits; "CAMPFIRE" is a name typed in capitals.


class ConsoleChannel:
    """Also stands in for DMs and channels (console reminders, `/post`): in a terminal they
    all reach the person at the keyboard, marked with where they would have gone."""

    def __init__(self, out: TextIO, err: TextIO, *, interactive: bool) -> None:
        self._out = out
        self._err = err
        self._interactive = interactive
        self._sent = 0
        # Ids of what the terminal "posted" must not repeat across runs sharing a log.
        self._run = secrets.token_hex(4)

    async def send_reply(self, conversation: ConversationKey, in_reply_to: str, text: str) -> str:
        self._write(None, text)
        # The conversation key is unique per console run, so these ids are unique in the log.
        return f"{conversation.value}/reply-{self._sent}"

    async def send_direct(self, person_id: str, text: str) -> SentDirect:
        self._write(f"to {person_id}", text)
        return SentDirect(channel=f"console-dm:{person_id}", message_id=self._next_id())

    async def post_to_channel(self, channel: str, text: str) -> PostedToChannel:
        name = channel if is_channel_id(channel) else f"#{channel.removeprefix('#')}"
        self._write(f"in {name}", text)
        return PostedToChannel(channel=name, message_id=self._next_id())

    def _write(self, where: str | None, text: str) -> None:
        """`where` names the DM or channel a message was meant for; None for a reply."""
        if self._interactive:
            block = f"Lukas{f' ({where})' if where else ''}: {text}\n"
        else:
            # Piped, the plain replies stay plain; only messages meant elsewhere are marked.
            block = as_block(f"[{where}] {text}" if where else text) + "\n"
        try:
            self._out.write(("\n" if self._sent and not self._interactive else "") + block)
            self._out.flush()
        except OSError as error:  # a closed pipe or a full disk: the reply stays undelivered
            raise DeliveryError(f"cannot write the reply to the terminal: {error}") from error
        self._sent += 1

    def _next_id(self) -> str:
        return f"console-{self._run}-{self._sent}"

    async def find_reply(self, conversation: ConversationKey, in_reply_to: str) -> str | None:
        # A terminal keeps nothing to look in; a reply printed before a crash prints again.
        return None

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        """Nothing to show: the terminal waits at the prompt, which says as much."""

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        """Nothing was shown."""

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        # In a terminal the person at the keyboard is the admin, whoever is configured.
        self.notice(f"ALERT for the admins ({', '.join(admins) or 'none configured'}): {text}")

    def notice(self, text: str) -> None:
        self._err.write(text + "\n")
        self._err.flush()


def as_block(text: str) -> str:
    """The reply as one block: no blank lines inside, no trailing space."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())
