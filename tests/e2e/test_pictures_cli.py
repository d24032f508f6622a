"""`lukas image` against the stand-in image server and the stand-in Slack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from standins.openai_server import TINY_PNG, Failure, OpenAIStandIn, Reply
from standins.slack_server import SlackStandIn

from lukas.domain.images import THEMES

pytestmark = pytest.mark.slow


def env_for(openai: OpenAIStandIn, slack: SlackStandIn, db: Path) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-pictures-0123456789",
        "LUKAS_LLM_API_BASE": openai.base_url,
        "LUKAS_IMAGE_API_BASE": openai.base_url,
        "SLACK_BOT_TOKEN": "xoxb-test-pictures-0123456789",
        "LUKAS_SLACK_API_URL": slack.api_url,
        "LUKAS_DB": str(db),
    }


def types(run_lukas: RunLukas, db: Path) -> list[str]:
    lines = run_lukas("replay", "--db", str(db), "--format", "jsonl").stdout.splitlines()
    return [json.loads(line)["type"] for line in lines]


def test_an_autumn_picture_is_drawn_and_posted_to_the_channel(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script(Reply("Crunchy leaves and warm cocoa, team! \U0001f43b"))
    run = run_lukas(
        "image",
        "--theme",
        "autumn",
        "--post",
        "C123",
        env=env_for(openai_standin, slack_standin, db),
    )
    assert run.returncode == 0, run.stderr
    [request] = openai_standin.image_requests()
    assert THEMES["autumn"] in request.body["prompt"]
    assert "style" not in request.body
    [upload] = slack_standin.uploads()
    assert (upload.channel, upload.data, upload.completed) == ("C123", TINY_PNG, True)
    assert upload.initial_comment == "Crunchy leaves and warm cocoa, team! \U0001f43b"
    assert "picture saved at" in run.stdout
    assert types(run_lukas, db) == ["ImageRequested", "ImageGenerated", "ImagePosted"]
    stats = run_lukas("stats", "--db", str(db)).stdout
    assert "total spent on pictures: $0.042" in stats


def test_a_content_policy_rejection_is_one_request_one_event_and_nothing_posted(
    run_lukas: RunLukas, openai_standin: OpenAIStandIn, slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "lukas.db"
    openai_standin.script_images(Failure.content_policy())
    run = run_lukas("image", "--post", "C123", env=env_for(openai_standin, slack_standin, db))
    assert run.returncode == 1
    *why, last = run.stderr.splitlines()
    assert last == "lukas: no picture: content_policy (see `lukas replay`)"
    assert "content_policy_violation" in " ".join(why)  # the provider's reason, logged
    assert "Traceback" not in run.stderr
    assert len(openai_standin.image_requests()) == 1
    assert slack_standin.uploads() == []
    assert types(run_lukas, db) == ["ImageRequested", "ImageFailed"]


def test_without_an_image_key_the_command_says_so_in_one_line(
    run_lukas: RunLukas, tmp_path: Path
) -> None:
    run = run_lukas("image", env={"LUKAS_DB": str(tmp_path / "l.db")})
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "lukas: OPENAI_API_KEY is not set: pictures need the image provider's key"
    ]
