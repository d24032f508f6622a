"""Cutting a long Markdown reply into Slack messages: at the seams a reader would choose, never
inside a word, a link or inline code, and inside a code block only when it is too long for any
one message, closing its fence there and opening it again in the next piece."""

from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.adapters.slack.pieces import MARKDOWN_TEXT_LIMIT, MAX_MESSAGE, split_message

# What the generated replies are made of. Words hold no whitespace, brackets, backticks or
# tildes, so every link, inline code and fence in a reply is one the strategy put there.
WORD_CHARS = string.ascii_letters + string.digits + ".,!?;:'\"-*_#&é🐻"
FENCE_LINE = re.compile(r"^ *(`{3,}|~{3,}).*$", re.MULTILINE)
LINK = re.compile(r"\[[^\[\]]*\]\([^()\s]*\)")
INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")

words = st.text(WORD_CHARS, min_size=1, max_size=12)
phrase = st.lists(words, min_size=1, max_size=3).map(" ".join)
url = st.builds(
    "https://{}.test/{}".format,
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_lowercase + string.digits + "/-_?=", max_size=16),
)
link = st.builds("[{}]({})".format, phrase, url)
inline_code = phrase.map("`{}`".format)
inline = st.one_of(words, words, words, link, url, inline_code)
separator = st.sampled_from([" ", " ", " ", ". ", "! ", "\n", "\n\n"])


@st.composite
def paragraph(draw: st.DrawFn) -> str:
    parts: list[str] = draw(st.lists(inline, min_size=1, max_size=40))
    text = parts[0]
    for part in parts[1:]:
        text += draw(separator) + part
    return text


code_line = st.builds(
    "{}{}".format,
    st.sampled_from(["", "", "    ", "  "]),
    st.lists(words, max_size=4).map(" ".join),
)


@st.composite
def code_block(draw: st.DrawFn) -> str:
    fence = draw(st.sampled_from(["```", "```", "~~~", "````"]))
    info = draw(st.sampled_from(["", "python", "sh", "json"]))
    lines = draw(st.lists(code_line, min_size=1, max_size=30))
    return "\n".join([fence + info, *lines, fence])


@st.composite
def reply(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(st.one_of(paragraph(), paragraph(), code_block()), min_size=1))
    text = blocks[0]
    for block in blocks[1:]:
        text += draw(st.sampled_from(["\n", "\n\n"])) + block
    return text


# Long enough for the longest link or inline code above, and for a fence opened, a line of
# code and the fence closed: everything the strategy makes fits in one message.
limits = st.integers(min_value=90, max_value=600)


def content(text: str) -> list[str]:
    """The words, links and code of `text` in order, without the lines that open and close
    code blocks: those are what a cut inside a code block adds."""
    return FENCE_LINE.sub("", text).split()


@settings(max_examples=300, deadline=None)
@given(reply(), limits)
def test_every_piece_fits_and_together_they_are_the_reply(text: str, limit: int) -> None:
    pieces = split_message(text, limit)

    assert all(0 < len(piece) <= limit for piece in pieces)
    assert all(piece == piece.strip() for piece in pieces)
    assert content("\n".join(pieces)) == content(text)


@settings(max_examples=300, deadline=None)
@given(reply(), limits)
def test_no_link_or_inline_code_is_cut(text: str, limit: int) -> None:
    pieces = split_message(text, limit)

    for pattern in (LINK, INLINE_CODE):
        assert [m for piece in pieces for m in pattern.findall(piece)] == pattern.findall(text)


@settings(max_examples=300, deadline=None)
@given(reply(), limits)
def test_a_code_block_that_fits_a_message_is_never_cut(text: str, limit: int) -> None:
    pieces = split_message(text, limit)

    for block in re.finditer(r"^(````|```|~~~)\w*\n(?:.*\n)*?\1$", text, re.MULTILINE):
        if len(block.group()) <= limit:
            assert any(block.group() in piece for piece in pieces), block.group()


@settings(max_examples=300, deadline=None)
@given(reply(), limits)
def test_a_code_block_cut_is_closed_and_opened_again_as_it_began(text: str, limit: int) -> None:
    pieces = split_message(text, limit)

    fence_lines = {m.group() for m in FENCE_LINE.finditer(text)}
    for piece in pieces:
        lines = [m.group() for m in FENCE_LINE.finditer(piece)]
        # Every block a piece opens, it closes: no piece leaves its code unrendered.
        assert len(lines) % 2 == 0, piece
        # The fence opened again carries the block's own info string.
        assert set(lines) <= fence_lines


@settings(max_examples=100, deadline=None)
@given(st.text(WORD_CHARS, min_size=1, max_size=500), st.integers(min_value=1, max_value=120))
def test_a_word_longer_than_a_message_is_cut_where_the_message_is_full(
    word: str, limit: int
) -> None:
    pieces = split_message(word, limit)

    assert "".join(pieces) == word
    assert all(len(piece) == limit for piece in pieces[:-1])
    assert 0 < len(pieces[-1]) <= limit


def test_a_message_is_readable_and_within_what_slack_takes() -> None:
    assert 3_000 <= MAX_MESSAGE <= 4_000
    assert MAX_MESSAGE <= MARKDOWN_TEXT_LIMIT


def test_a_reply_that_fits_is_one_piece_trimmed() -> None:
    assert split_message("  **Hello** there!\n") == ["**Hello** there!"]
    assert split_message(" \n ") == []


def test_the_cut_prefers_a_paragraph_then_a_line_then_a_sentence_then_a_space() -> None:
    head = "Aa bb. Cc dd\nEe ff"
    assert split_message("Intro words.\n\n" + head + " tail words", 30)[0] == "Intro words."
    assert split_message("Ab cd. Ef gh\nIj kl mn op qr st", 20)[0] == "Ab cd. Ef gh"
    assert split_message("Ab cd ef. Gh ij kl mn op qr", 20)[0] == "Ab cd ef."
    assert split_message("Ab cd ef gh ij kl mn op", 20)[0] == "Ab cd ef gh ij kl mn"


def test_a_good_seam_is_kept_when_it_costs_no_extra_message() -> None:
    first = "A short first paragraph."
    second = " ".join(["honey"] * 60) + "."  # 360 characters: a message of its own
    pieces = split_message(f"{first}\n\n{second}", 380)
    assert pieces == [first, second]


def test_a_link_at_the_limit_goes_whole_to_the_next_piece() -> None:
    text = "See " + "bear " * 10 + "[the honey report](https://x.test/report) today."
    pieces = split_message(text, 70)
    assert any("[the honey report](https://x.test/report)" in piece for piece in pieces)
    assert all(len(piece) <= 70 for piece in pieces)


def test_a_code_block_that_fits_goes_whole_to_the_next_piece() -> None:
    code = "```python\ndef hello():\n    return 'hi'  # a * b\n```"
    text = "Here is how, in a few words of introduction:\n" + code
    assert split_message(text, 60) == ["Here is how, in a few words of introduction:", code]


def test_a_code_block_too_long_for_a_message_is_closed_and_reopened() -> None:
    lines = [f"    step_{n} = honey * {n}" for n in range(12)]
    text = "Steps:\n\n~~~python\n" + "\n".join(lines) + "\n~~~\n\nDone."
    pieces = split_message(text, 150)

    assert all(len(piece) <= 150 for piece in pieces)
    with_code = [piece for piece in pieces if "step_" in piece]
    assert len(with_code) > 1
    assert "~~~python\n    step_0 " in with_code[0]
    for piece in with_code[:-1]:
        assert piece.endswith("\n~~~")
    for piece in with_code[1:]:
        assert piece.startswith("~~~python\n    step_")  # the code's indentation kept
    code = [line for piece in pieces for line in piece.splitlines() if "step_" in line]
    assert code == lines
    assert pieces[-1].endswith("~~~\n\nDone.")


def test_a_line_of_code_too_long_for_a_message_is_cut_at_a_space_in_it() -> None:
    line = " ".join(f"arg{n}" for n in range(40))
    text = f"```\n{line}\n```"
    pieces = split_message(text, 60)

    assert all(len(piece) <= 60 for piece in pieces)
    assert all(piece.startswith("```\narg") and piece.endswith("\n```") for piece in pieces)
    bodies = [piece.removeprefix("```\n").removesuffix("\n```") for piece in pieces]
    assert "".join(bodies) == line  # not a character lost


def test_an_unclosed_code_block_runs_to_the_end_and_is_still_reopened() -> None:
    text = "```sh\n" + "\n".join(f"echo {n}" for n in range(30))
    pieces = split_message(text, 80)

    assert all(piece.startswith("```sh\necho") for piece in pieces)
    assert all(piece.endswith("\n```") for piece in pieces[:-1])
    assert [line for piece in pieces for line in piece.splitlines() if "echo" in line] == [
        f"echo {n}" for n in range(30)
    ]
