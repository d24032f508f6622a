"""'forget me' over the stand-in Slack: asked, confirmed, and then the log itself, read by
`lukas replay`, holds none of that person's words, while a teammate's stay (ADR 27)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from drivers.lukas_cli import RunLukas
from drivers.lukas_slack import running_bot, wait_for_answers
from standins.openai_server import OpenAIStandIn, Reply
from standins.slack_server import SlackStandIn, dm_message

pytestmark = pytest.mark.slow

ADA_SECRET = "my secret recipe is honey with thyme"
LUKAS_TO_ADA = "Thyme and honey, what a treat!"
BOB_SAYS = "clover honey is the best"
LUKAS_TO_BOB = "Clover it is, Bob!"


def test_a_member_forgets_themselves_and_only_their_words_leave_the_log(
    slack_standin: SlackStandIn, openai_standin: OpenAIStandIn, tmp_path: Path, run_lukas: RunLukas
) -> None:
    db = tmp_path / "lukas.db"
    slack_standin.add_user("U0ADA", "Ada")
    slack_standin.add_user("U0BOB", "Bob")
    openai_standin.script(Reply(LUKAS_TO_ADA), Reply(LUKAS_TO_BOB), Reply("Hello, who's this?"))
    with running_bot(slack_standin, openai_standin, db):
        slack_standin.push_event(dm_message(ADA_SECRET))
        wait_for_answers(slack_standin, 1)
        slack_standin.push_event(dm_message(BOB_SAYS, user="U0BOB", channel="D0BOB"))
        wait_for_answers(slack_standin, 2)
        slack_standin.push_event(dm_message("forget me"))
        asked = wait_for_answers(slack_standin, 3)[-1]
        slack_standin.push_event(dm_message("yes, forget me"))
        done = wait_for_answers(slack_standin, 4)[-1]
        slack_standin.push_event(dm_message("hello again"))
        again = wait_for_answers(slack_standin, 5)[-1]

    assert asked.channel == "D0ADA"
    assert "yes, forget me" in asked.text
    assert "10 minutes" in asked.text
    assert done.channel == "D0ADA"
    assert done.text == "Done: I have forgotten everything you and I said to each other. 🐻"
    assert (again.channel, again.text) == ("D0ADA", "Hello, who's this?")
    # The model, asked again, is sent none of what Ada said before.
    sent_after = json.dumps(openai_standin.chat_requests()[-1].messages)
    assert "hello again" in sent_after
    assert "thyme" not in sent_after.lower()

    replay = run_lukas("replay", "--db", str(db), "--format", "jsonl")
    assert replay.returncode == 0, replay.stderr
    records = [json.loads(line) for line in replay.stdout.splitlines()]
    said = [
        (r["data"]["author_id"], r["data"]["text"])
        for r in records
        if r["type"] == "MessageReceived"
    ]
    assert said == [
        ("U0ADA", "[forgotten]"),
        ("U0BOB", BOB_SAYS),
        ("U0ADA", "[forgotten]"),
        ("U0ADA", "[forgotten]"),
        ("U0ADA", "hello again"),
    ]
    for gone in ("thyme", LUKAS_TO_ADA, "Are you sure?"):
        assert gone not in replay.stdout
    assert LUKAS_TO_BOB in replay.stdout
    [forgotten] = [r["data"] for r in records if r["type"] == "PersonForgotten"]
    assert (forgotten["person_id"], forgotten["requested_by"]) == ("U0ADA", "U0ADA")
    # Nor do the files: the log held her words sealed, and their keys are gone.
    for stored in (p for p in db.parent.glob("lukas.db*") if p.is_file()):
        assert b"thyme" not in stored.read_bytes(), stored.name
