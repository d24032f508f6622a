"""Events recorded by earlier versions of Lukas read in today's shape (upcasting)."""

from __future__ import annotations

from lukas.adapters.event_codec import EventCodec
from lukas.domain.events import ImageGenerated, ReminderFiring, ReplyFailed, ReplyGenerated


def test_a_reminder_claim_from_before_claims_named_their_process_reads_as_unnamed() -> None:
    codec = EventCodec()
    old = codec.decode("ReminderFiring", 1, '{"reminder_id":"r1"}')
    assert old == ReminderFiring(reminder_id="r1", by=None)
    named = ReminderFiring(reminder_id="r1", by="instance-a")
    assert codec.decode(*codec.encode(named)) == named


def test_replies_and_pictures_from_before_sealing_read_as_nobodys() -> None:
    codec = EventCodec()
    reply = codec.decode(
        "ReplyGenerated",
        1,
        '{"reply_to":"m1","text":"Hi!","provider":"openai","model":"gpt-5.4-mini",'
        '"usage":null,"finish_reason":"stop","latency_ms":5,"context_tokens":9,'
        '"token_count":2}',
    )
    assert isinstance(reply, ReplyGenerated)
    assert (reply.person_id, reply.first_text_ms, reply.text) == (None, None, "Hi!")
    failed = codec.decode(
        "ReplyFailed",
        1,
        '{"reply_to":"m1","kind":"timeout","detail":"slow","attempts":3,"fallback_text":"Hm."}',
    )
    assert isinstance(failed, ReplyFailed)
    assert failed.person_id is None
    picture = codec.decode(
        "ImageGenerated",
        1,
        '{"model":"gpt-image-1","size":"1024x1024","quality":"medium","revised_prompt":null,'
        '"source":"b64_json","file":"p.png","cost_usd":0.04,"caption":"A bear"}',
    )
    assert isinstance(picture, ImageGenerated)
    assert (picture.requester, picture.caption) == (None, "A bear")
