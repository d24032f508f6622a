from __future__ import annotations

from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.direct_messages import SentDirect


class FakeDirectMessages:
    """Keeps each DM sent as (person_id, text); can be told to refuse the next ones.

    Channels and message ids look like Slack's: U0ADA's DM is D0ADA, and ids count up from
    1700000000.000001, so tests can read them back in order.
    """

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse_next = 0

    async def send_direct(self, person_id: str, text: str) -> SentDirect:
        if self.refuse_next:
            self.refuse_next -= 1
            raise DeliveryError("the fake platform is down")
        self.sent.append((person_id, text))
        return SentDirect(
            channel=channel_of(person_id), message_id=f"1700000000.{len(self.sent):06d}"
        )


def channel_of(person_id: str) -> str:
    """The fake's DM channel with `person_id`: the same one every time."""
    return "D" + person_id[1:]
