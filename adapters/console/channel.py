"""The terminal as a chat platform: replies on stdout, notices on stderr.

With piped input each reply is one block on stdout and blocks are separated by a blank
line, so `lukas console < questions.txt > answers.txt` gives a transcript a program can
split. Blank lines inside a reply are dropped there, or one reply would read as two.
"""

from __future__ import annotations

from typing import TextIO

from lukas.application.ports.chat_channel import DeliveryError
from lukas.domain.conversation_key import ConversationKey


class ConsoleChannel:
    def __init__(self, out: TextIO, err: TextIO, *, interactive: bool) -> None:
        self._out = out
        self._err = err
        self._interactive = interactive
        self._sent = 0

    async def send_reply(self, conversation: ConversationKey, in_reply_to: str, text: str) -> str:
        block = f"Lukas: {text}\n" if self._interactive else as_block(text) + "\n"
        try:
            self._out.write(("\n" if self._sent and not self._interactive else "") + block)
            self._out.flush()
        except OSError as error:  # a closed pipe or a full disk: the reply stays undelivered
            raise DeliveryError(f"cannot write the reply to the terminal: {error}") from error
        self._sent += 1
        # The conversation key is unique per console run, so these ids are unique in the log.
        return f"{conversation.value}/reply-{self._sent}"

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
