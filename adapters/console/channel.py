"""The terminal as a chat platform: replies on stdout, notices on stderr.

With piped input each reply is one block on stdout (blocks separated by a blank line), so
`lukas console < questions.txt > answers.txt` gives a clean transcript of Lukas's words.
"""

from __future__ import annotations

from typing import TextIO

from lukas.domain.conversation_key import ConversationKey


class ConsoleChannel:
    def __init__(self, out: TextIO, err: TextIO, *, interactive: bool) -> None:
        self._out = out
        self._err = err
        self._interactive = interactive
        self._sent = 0

    async def send_reply(self, conversation: ConversationKey, in_reply_to: str, text: str) -> str:
        self._sent += 1
        if self._interactive:
            self._out.write(f"Lukas: {text}\n")
        else:
            self._out.write(("\n" if self._sent > 1 else "") + text + "\n")
        self._out.flush()
        return f"console-reply-{self._sent}"

    def notice(self, text: str) -> None:
        self._err.write(text + "\n")
        self._err.flush()
