"""SlackWeb as the ImagePoster: files_upload_v2 through the real AsyncWebClient, against the
stand-in Slack, which takes uploads in Slack's three steps."""

from __future__ import annotations

import json
import socket

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import UPLOAD, Answer, SlackError, SlackStandIn

from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.images import (
    GeneratedImage,
    ImageFailureKind,
    ImageGenerationError,
    ImagePoster,
)

pytestmark = pytest.mark.anyio

TOKEN = "xoxb-images-0123456789"
# Every byte value, so any re-encoding on the way would show.
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


def image(data: bytes = PICTURE, media_type: str = "image/png") -> GeneratedImage:
    return GeneratedImage(
        data=data,
        model="gpt-image-1",
        size="1024x1024",
        quality="low",
        revised_prompt=None,
        source="b64_json",
        media_type=media_type,
    )


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def poster(base_url: str, time: FakeTime | None = None) -> SlackWeb:
    client = AsyncWebClient(token=TOKEN, base_url=base_url)
    if time is None:
        return SlackWeb(client, min_interval=0)
    return SlackWeb(client, monotonic=time.monotonic, sleep=time.sleep)


def closed_port() -> int:
    # Bound and released at once: nothing listens there, so connecting is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_the_picture_arrives_intact_in_the_channel_with_its_caption(
    slack_standin: SlackStandIn,
) -> None:
    port: ImagePoster = poster(slack_standin.api_url)

    file_id = await port.post_image(
        "C0GEN", image(), "**Lukas** at the [lake](https://example.com)", "lukas-at-the-lake"
    )

    (upload,) = slack_standin.uploads()
    assert upload.completed
    assert upload.data == PICTURE
    assert upload.channel == "C0GEN"
    # A file's comment takes no markdown_text: the caption is plain text, escaped as mrkdwn.
    assert upload.initial_comment == "**Lukas** at the [lake](https://example.com)"
    assert (upload.filename, upload.title) == ("lukas-at-the-lake.png", "lukas-at-the-lake")
    assert file_id == upload.file_id


async def test_a_caption_pings_nobody_and_shows_its_markup_characters(
    slack_standin: SlackStandIn,
) -> None:
    await poster(slack_standin.api_url).post_image(
        "C0GEN", image(), "Bears & <friends>, <!here> <@U0ADA>", "bears"
    )

    (upload,) = slack_standin.uploads()
    assert upload.initial_comment == "Bears &amp; &lt;friends&gt;, &lt;!here&gt; &lt;@U0ADA&gt;"


async def test_the_returned_id_is_the_one_slack_completed(slack_standin: SlackStandIn) -> None:
    # Slack's answer to the last step, not the id handed out first, names the shared file.
    slack_standin.script(
        "files.completeUploadExternal",
        Answer({"ok": True, "files": [{"id": "F0SHARED", "title": "lukas"}]}),
    )

    file_id = await poster(slack_standin.api_url).post_image("C0GEN", image(), "Hi", "lukas")

    assert file_id == "F0SHARED"
    (completed,) = slack_standin.calls("files.completeUploadExternal")
    handed_out = slack_standin.uploads()[0].file_id
    assert json.loads(completed.args["files"]) == [{"id": handed_out, "title": "lukas"}]


@pytest.mark.parametrize(
    ("media_type", "filename"),
    [
        ("image/png", "bear.png"),
        ("image/jpeg", "bear.jpg"),
        ("image/webp", "bear.webp"),
        ("IMAGE/JPEG; charset=binary", "bear.jpg"),
        ("application/x-unheard-of", "bear"),
    ],
)
async def test_the_file_name_follows_the_media_type(
    slack_standin: SlackStandIn, media_type: str, filename: str
) -> None:
    await poster(slack_standin.api_url).post_image(
        "C0GEN", image(media_type=media_type), "Hi", "bear"
    )

    assert slack_standin.uploads()[0].filename == filename


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
async def test_a_refused_share_is_a_posting_error(slack_standin: SlackStandIn, error: str) -> None:
    slack_standin.fail("files.completeUploadExternal", SlackError(error))

    with pytest.raises(ImageGenerationError) as raised:
        await poster(slack_standin.api_url).post_image("C0ELSEWHERE", image(), "Hi", "bear")

    assert raised.value.kind is ImageFailureKind.POSTING
    assert raised.value.detail == f"files_upload_v2: {error}"
    assert raised.value.retry_later_could_help
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__  # `from None`: no slack-sdk error rides along
    assert not slack_standin.uploads()[0].completed


async def test_a_refused_upload_url_is_a_posting_error(slack_standin: SlackStandIn) -> None:
    slack_standin.fail("files.getUploadURLExternal", SlackError("missing_scope"))

    with pytest.raises(ImageGenerationError, match="files_upload_v2: missing_scope"):
        await poster(slack_standin.api_url).post_image("C0GEN", image(), "Hi", "bear")

    assert slack_standin.calls(UPLOAD) == []


async def test_bytes_the_upload_url_turns_away_are_a_posting_error(
    slack_standin: SlackStandIn,
) -> None:
    slack_standin.fail(UPLOAD, SlackError("server error", status=500))

    with pytest.raises(ImageGenerationError) as raised:
        await poster(slack_standin.api_url).post_image("C0GEN", image(), "Hi", "bear")

    assert raised.value.kind is ImageFailureKind.POSTING
    assert raised.value.detail == "files_upload_v2: upload_rejected"
    assert slack_standin.calls("files.completeUploadExternal") == []


async def test_an_unreachable_slack_is_a_posting_error() -> None:
    channel = poster(f"http://127.0.0.1:{closed_port()}/api/")

    with pytest.raises(ImageGenerationError) as raised:
        await channel.post_image("C0GEN", image(), "Hi", "bear")

    assert raised.value.kind is ImageFailureKind.POSTING
    assert raised.value.detail.startswith("files_upload_v2: Client")  # e.g. ClientConnectorError


async def test_an_unreachable_upload_url_is_a_posting_error(slack_standin: SlackStandIn) -> None:
    dead_url = f"http://127.0.0.1:{closed_port()}/upload/F0LOST"
    slack_standin.script(
        "files.getUploadURLExternal",
        Answer({"ok": True, "upload_url": dead_url, "file_id": "F0LOST"}),
    )

    with pytest.raises(ImageGenerationError) as raised:
        await poster(slack_standin.api_url).post_image("C0GEN", image(), "Hi", "bear")

    assert raised.value.kind is ImageFailureKind.POSTING
    assert slack_standin.calls("files.completeUploadExternal") == []


async def test_pictures_are_paced_with_the_posts_in_a_channel(
    slack_standin: SlackStandIn,
) -> None:
    time = FakeTime()
    channel = poster(slack_standin.api_url, time)

    await channel.post_image("C0GEN", image(), "one", "first")
    await channel.post_image("C0OTHER", image(), "elsewhere, no wait", "second")
    time.now += 0.25
    await channel.post_image("C0GEN", image(), "two", "third")

    assert time.slept == [0.75]
    assert [upload.channel for upload in slack_standin.uploads()] == ["C0GEN", "C0OTHER", "C0GEN"]
