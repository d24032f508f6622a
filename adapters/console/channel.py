"""The terminal as a chat platform: replies on stdout, notices on stderr.

With piped input each reply to a line read in this run is one block on stdout and blocks
are separated by a blank line, so `lukas console < questions.txt > answers.txt` gives a
transcript a program can split, one block per message. Blank lines inside a reply are
dropped there, or one reply would read as two. Everything else (a reply recovered from an
earlier run, a reminder, a post, a DM) goes to stderr, marked with where it belongs.

At a terminal everything is printed above the prompt, which is then drawn again.

A reply to a line read in this run is printed as the model writes it (piped too: the block
is then cleaned as it goes, exactly as `as_block` would have cleaned it whole).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TextIO

from lukas.application.ports.announcements import PostedToChannel
from lukas.application.ports.chat_channel import DeliveryError, Rateable, StreamNotOpenError
from lukas.application.ports.direct_messages import SentDirect
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.requests import is_channel_id

# Slack's ids are upper case with digits; "CAMPFIRE" is a name typed in capitals.


class ConsoleChannel:
    """Also stands in for DMs and channels (console reminders, `/post`): in a terminal they
    all reach the person at the keyboard, marked with where they would have gone."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        interactive: bool,
        show: Callable[[TextIO, str], None] | None = None,
    ) -> None:
        """`show` writes text to a stream above the prompt (see TerminalInput.show)."""
        self._out = out
        self._err = err
        self._interactive = interactive
        self._show = show or _write
        self._live: set[ConversationKey] = set()
        self._sent = 0
        self._blocks = 0  # reply blocks on stdout, piped
        self._block: BlockWriter | None = None  # the piped reply being streamed
        self._streaming: str | None = None  # the id of the reply being streamed
        # Ids of what the terminal "posted" must not repeat across runs sharing a log.
        self._run = secrets.token_hex(4)

    def converse_in(self, conversation: ConversationKey) -> None:
        """Replies in `conversation` answer lines read in this run; replies elsewhere (an
        earlier run's, finished at start) are set apart from them."""
        self._live.add(conversation)

    async def send_reply(
        self,
        conversation: ConversationKey,
        in_reply_to: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> str:
        # No buttons in a terminal: `feedback` is Slack's business.
        if conversation in self._live:
            self._write(None, text)
        else:
            self._write(f"earlier conversation {conversation.value}", text)
        # The conversation key is unique per console run, so these ids are unique in the log.
        return f"{conversation.value}/reply-{self._sent}"

    async def send_direct(self, person_id: str, text: str) -> SentDirect:
        self._write(f"to {person_id}", text)
        return SentDirect(channel=f"console-dm:{person_id}", message_id=self._next_id())

    async def post_to_channel(self, channel: str, text: str) -> PostedToChannel:
        name = channel if is_channel_id(channel) else f"#{channel.removeprefix('#')}"
        self._write(f"in {name}", text)
        return PostedToChannel(channel=name, message_id=self._next_id())

    def streams_in(self, conversation: ConversationKey) -> bool:
        return conversation in self._live

    async def start_stream(
        self, conversation: ConversationKey, in_reply_to: str, *, recipient: str | None = None
    ) -> str:
        self._streaming = f"{conversation.value}/reply-{self._run}-{self._sent}"
        if self._interactive:
            self._print(self._out, "Lukas: ")
            self._block = None
        else:
            self._print(self._out, "\n" if self._blocks else "")
            self._block = BlockWriter()
        self._sent += 1
        return self._streaming

    async def append_stream(self, conversation: ConversationKey, stream_id: str, text: str) -> None:
        if stream_id != self._streaming:
            raise StreamNotOpenError(f"{stream_id} is not being written")
        self._print(self._out, self._block.take(text) if self._block is not None else text)

    async def stop_stream(
        self,
        conversation: ConversationKey,
        stream_id: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> None:
        if stream_id != self._streaming:
            if f"-{self._run}-" in stream_id:
                raise StreamNotOpenError(f"{stream_id} was closed already")
            # An earlier run's: the terminal it was written to is gone, so it is as closed
            # as it will ever be, and recovery shows the whole reply (on stderr) instead.
            return
        await self.append_stream(conversation, stream_id, text)
        self._streaming = None
        self._print(self._out, "\n")
        if self._block is not None:
            self._blocks += 1
            self._block = None

    def _print(self, stream: TextIO, text: str) -> None:
        try:
            if self._interactive:
                self._show(stream, text)
            else:
                _write(stream, text)
        except OSError as error:
            raise DeliveryError(f"cannot write the reply to the terminal: {error}") from error

    def _write(self, where: str | None, text: str) -> None:
        """`where` names where a message was meant for; None for a reply to a line read now."""
        try:
            if self._interactive:
                self._show(self._out, f"Lukas{f' ({where})' if where else ''}: {text}\n")
            elif where is not None:
                # Piped, stdout holds only the replies to the lines read: the rest is aside.
                self._err.write(as_block(f"[{where}] {text}") + "\n")
                self._err.flush()
            else:
                self._out.write(("\n" if self._blocks else "") + as_block(text) + "\n")
                self._out.flush()
                self._blocks += 1
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
        if self._interactive:
            self._show(self._err, text + "\n")
        else:
            _write(self._err, text + "\n")


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def as_block(text: str) -> str:
    """The reply as one block: no blank lines inside, no trailing space."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


class BlockWriter:
    """`as_block` for text that comes in pieces: blank lines and trailing spaces dropped,
    the block's leading space too, as soon as each piece comes."""

    def __init__(self) -> None:
        self._started = False  # anything written yet
        self._line_has_text = False
        self._newline_due = False
        self._lead = ""  # spaces before the first character of a line
        self._gap = ""  # spaces after text, written only if more text follows

    def take(self, piece: str) -> str:
        out: list[str] = []
        for char in piece:
            if char == "\n":
                self._newline_due = self._newline_due or self._line_has_text
                self._line_has_text = False
                self._lead = self._gap = ""
            elif char.isspace():
                if self._line_has_text:
                    self._gap += char
                else:
                    self._lead += char
            else:
                if self._newline_due:
                    out.append("\n")
                    self._newline_due = False
                if not self._line_has_text:
                    out.append(self._lead if self._started else "")
                    self._lead = ""
                out.append(self._gap + char)
                self._gap = ""
                self._line_has_text = self._started = True
        return "".join(out)
