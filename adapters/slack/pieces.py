"""A long Markdown reply cut into messages of a readable length.

Cuts fall where a reader would put them: at a paragraph, else a line, else the end of a
sentence, else a space; never inside a word, a Markdown link, inline code or a fenced code
block. Only a code block too long for any one message is cut inside, at a line of its code:
the piece ends by closing the fence and the next begins by opening it again, with the same
info string, so both render as code. A single word, URL or link longer than a message is cut
where the message is full, as nothing else can be done with it.
"""

from __future__ import annotations

import re

import attrs

# Slack takes 12,000 characters of markdown_text in one message, but advises about 4,000 for
# readability; a reply is rarely longer than a few thousand.
MARKDOWN_TEXT_LIMIT = 12_000
MAX_MESSAGE = 3_900

# Cut priorities, best first: a blank line, a line break, a sentence's end, a space.
_PARAGRAPH, _LINE, _SENTENCE, _SPACE = 4, 3, 2, 1

# CommonMark's fenced code: up to three spaces, then three or more backticks (whose info
# string holds no backtick) or tildes. It runs to a closing fence of the same character, at
# least as long, or to the end of the text.
_OPENING_FENCE = re.compile(
    r"^ {0,3}(?:(?P<backticks>`{3,})[^`\n]*|(?P<tildes>~{3,})[^\n]*)$", re.MULTILINE
)
# A Markdown link or image, [text](url) with an optional "title"; the text may hold one level
# of brackets and run over lines, but not over a blank one.
_LINK = re.compile(
    r"\[(?:[^\[\]\n]|\n(?![ \t]*\n)|\[[^\[\]\n]*\])*\]"
    r"\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:[ \t]+\"[^\"\n]*\")?\)"
)
# Inline code on one line: `a b`, or ``a ` b`` with a longer run of backticks.
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")
_WHITESPACE = re.compile(r"\s+")
# A sentence ends in . ! ? or …, perhaps inside quotes (straight or curly), brackets or emphasis.
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]*_]*\\Z")


@attrs.frozen
class _Fence:
    start: int  # where the opening line starts, indentation included
    body: int  # where the code starts, after the opening line
    closing: int  # where the closing line starts, or the text's end for an unclosed block
    end: int  # where the block ends, after the closing fence
    opening: str  # the opening line without its indentation: the fence and the info string
    fence: str  # the run of backticks or tildes, which also closes the block


@attrs.frozen
class _Cut:
    priority: int
    end: int  # the piece is the text up to here...
    resume: int  # ...and the rest of the text goes on from here
    fence: _Fence | None = None  # the code block this cut falls inside, closed and reopened

    @property
    def piece_length(self) -> int:
        return self.end + (1 + len(self.fence.fence) if self.fence else 0)

    def rest_length(self, text: str) -> int:
        return len(text) - self.resume + (len(self.fence.opening) + 1 if self.fence else 0)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """`text`, trimmed, in pieces of at most `limit` characters, each trimmed and not empty;
    in order, they are the text again, but for the whitespace at each cut and the fences
    added around a cut inside a code block."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        if cut.fence is None:
            pieces.append(rest[: cut.end])
            rest = rest[cut.resume :]
        else:
            pieces.append(f"{rest[: cut.end]}\n{cut.fence.fence}")
            rest = f"{cut.fence.opening}\n{rest[cut.resume :]}"
    if rest:
        pieces.append(rest)
    return pieces


def _best_cut(text: str, limit: int) -> _Cut:
    """Where to end the first piece of `text`, which is trimmed and longer than `limit`."""
    fences = _fences(text)
    cuts = _cuts(text, limit, fences)
    if cuts:
        # The best kind of boundary wins among the cuts that fill at least half a piece, and
        # those that leave no more than the fewest pieces the text could fit in (a short
        # first paragraph then costs no extra message); failing both, among all. Among
        # equals, the latest.
        fewest = -(-len(text) // limit)
        fair = [
            cut
            for cut in cuts
            if cut.piece_length > limit // 2 or cut.rest_length(text) <= (fewest - 1) * limit
        ]
        return max(fair or cuts, key=lambda cut: (cut.priority, cut.end))
    return _forced_cut(text, limit, fences)


def _cuts(text: str, limit: int, fences: list[_Fence]) -> list[_Cut]:
    """Every good place to end the first piece within `limit`."""
    # Links and inline code inside a code block are just code.
    spans = [
        (match.start(), match.end())
        for pattern in (_LINK, _INLINE_CODE)
        for match in pattern.finditer(text)
        if _fence_at(fences, match.start()) is None
    ]
    cuts: list[_Cut] = []
    for start, end in _spaces(text, limit):
        fence = _fence_at(fences, start)
        if fence is not None:
            cuts.extend(_cuts_in_code(text, limit, fence, start, end))
        elif not any(a < start < b for a, b in spans):
            cuts.append(_Cut(_priority(text, start, end), start, end))
    return cuts


def _cuts_in_code(text: str, limit: int, fence: _Fence, start: int, end: int) -> list[_Cut]:
    """Cuts inside a code block, which only one too long for a message of its own gets, and
    only after a line of its code: a line cut in two reads, and pastes, as other code."""
    if fence.end - fence.start <= limit:
        return []
    last_line_end = fence.closing - 1 if fence.closing < len(text) else len(text)
    cuts = [
        _Cut(_LINE, at, at + 1, fence)
        for at in range(start, end)
        if text[at] == "\n" and fence.body < at < last_line_end
    ]
    return [cut for cut in cuts if cut.piece_length <= limit]


def _forced_cut(text: str, limit: int, fences: list[_Fence]) -> _Cut:
    """A cut where no good one is: in a line of code too long for a message, at its last
    space that fits, else where the piece is full; elsewhere at the last space even if it
    is in a link, else where the piece is full."""
    fence = _fence_at(fences, limit)
    if fence is not None:
        full = min(limit - 1 - len(fence.fence), fence.closing - 1)
        # The piece keeps some code, so the rest, reopened, is shorter than the text.
        if fence.body < full:
            space = text.rfind(" ", fence.body + 1, full)
            # The space ends the first part, where it shows least, and no character is lost.
            end = space + 1 if space > fence.body else full
            return _Cut(_SPACE, end, end, fence)
    if spaces := _spaces(text, limit):
        return _Cut(_SPACE, *spaces[-1])
    return _Cut(_SPACE, limit, limit)


def _spaces(text: str, limit: int) -> list[tuple[int, int]]:
    """Each run of whitespace that could end a first piece of at most `limit` characters."""
    runs: list[tuple[int, int]] = []
    for run in _WHITESPACE.finditer(text):
        if run.start() > limit:
            break
        runs.append(run.span())
    return runs


def _priority(text: str, start: int, end: int) -> int:
    newlines = text.count("\n", start, end)
    if newlines >= 2:
        return _PARAGRAPH
    if newlines == 1:
        return _LINE
    return _SENTENCE if _SENTENCE_END.search(text, max(0, start - 8), start) else _SPACE


def _fences(text: str) -> list[_Fence]:
    fences: list[_Fence] = []
    at = 0
    while (opening := _OPENING_FENCE.search(text, at)) is not None:
        fence = opening["backticks"] or opening["tildes"]
        body = min(opening.end() + 1, len(text))
        # Spaces after a closing fence belong to the text after it.
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}(?=[ \t\r]*$)", re.M)
        closed = closing.search(text, body)
        closing_start, end = (closed.start(), closed.end()) if closed else (len(text), len(text))
        line = opening.group().lstrip(" ")
        fences.append(_Fence(opening.start(), body, closing_start, end, line, fence))
        if end >= len(text):
            break
        at = end + 1
    return fences


def _fence_at(fences: list[_Fence], at: int) -> _Fence | None:
    return next((fence for fence in fences if fence.start <= at < fence.end), None)
