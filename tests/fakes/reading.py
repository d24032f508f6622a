"""A chat platform's reading side, faked: names, markup, channels, reactions, the roster."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from fakes.roster import FakeRoster
from lukas.application.ports.platform_text import ReadText
from lukas.entrypoints.bootstrap import Reading

_MENTION = re.compile(r"<@([A-Z0-9]+)>")


class FakePeople:
    """Names by id; can be made to fail, as a platform that is down."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.failures = 0  # the next lookups that raise
        self.asked: list[str] = []

    async def display_name(self, person_id: str) -> str | None:
        self.asked.append(person_id)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the fake platform is down")
        return self.names.get(person_id)


class FakeText:
    """Slack-like markup: "<@U1>" is a mention; Lukas's own is dropped, others named."""

    def __init__(self, me: str) -> None:
        self.me = me

    async def read(self, text: str, name_of: Callable[[str], Awaitable[str]]) -> ReadText:
        plain = text
        for person in set(_MENTION.findall(text)):
            shown = "" if person == self.me else f"@{await name_of(person)}"
            plain = plain.replace(f"<@{person}>", shown)
        for_requests = text.replace(f"<@{self.me}>", "")
        return ReadText(" ".join(plain.split()), " ".join(for_requests.split()))


class FakeChannels:
    """Channel names to ids; remembers the reactions added."""

    def __init__(self, ids: Mapping[str, str]) -> None:
        self.ids = dict(ids)
        self.reactions: list[tuple[str, str, str]] = []

    async def resolve_channels(self, names_or_ids: Sequence[str]) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for entry in names_or_ids:
            bare = entry.removeprefix("#")
            if bare in self.ids.values():
                found[entry] = bare
            elif bare in self.ids:
                found[entry] = self.ids[bare]
        return found

    async def add_reaction(self, channel: str, ts: str, emoji: str) -> bool:
        self.reactions.append((channel, ts, emoji))
        return True


def fake_reading(
    me: str = "ULUKAS", names: Mapping[str, str] | None = None
) -> tuple[Reading, FakePeople, FakeChannels]:
    people = FakePeople(names or {"U0ADA": "Ada", "U0BOB": "Bob"})
    channels = FakeChannels({"general": "C0GEN", "random": "C0RND"})
    reading = Reading(
        text=FakeText(me), people=people, channels=channels, reactions=channels, roster=FakeRoster()
    )
    return reading, people, channels
