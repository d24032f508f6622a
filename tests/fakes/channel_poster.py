from __future__ import annotations

import attrs

from lukas.application.ports.announcements import (
    ChannelNotFound,
    NotInChannel,
    PostedToChannel,
)
from lukas.application.ports.chat_channel import DeliveryError


@attrs.define
class FakeChannel:
    channel_id: str
    name: str
    lukas_is_member: bool = True


class FakeChannelPoster:
    """Channels by id and name; keeps what was posted as (channel id, text).

    Like Slack, it finds a channel by id, "name" or "#name", refuses channels Lukas is not
    in, and can be told to refuse the next posts.
    """

    def __init__(self, *channels: FakeChannel) -> None:
        self.channels = list(channels) or [FakeChannel("C0GEN", "general")]
        self.posted: list[tuple[str, str]] = []
        self.refuse_next = 0

    async def post_to_channel(self, channel: str, text: str) -> PostedToChannel:
        wanted = channel.removeprefix("#")
        found = next((c for c in self.channels if wanted in {c.channel_id, c.name.lower()}), None)
        if found is None:
            raise ChannelNotFound(f"chat.postMessage: channel_not_found ({channel})")
        if not found.lukas_is_member:
            raise NotInChannel(f"chat.postMessage: not_in_channel ({channel})")
        if self.refuse_next:
            self.refuse_next -= 1
            raise DeliveryError("the fake platform is down")
        self.posted.append((found.channel_id, text))
        return PostedToChannel(found.channel_id, f"1700000100.{len(self.posted):06d}")
