"""Forget requests through the desk, over a sealed in-memory log: asked, confirmed in time,
and then the person's words read as forgotten, nobody else's (ADR 27)."""

from __future__ import annotations

import pytest
from fakes.desk_world import ADMIN, MEMBER, DeskWorld, make_desk_world

from lukas.application.requests.forget_requests import (
    ASK_ME,
    FORGOT_ME,
    NOTHING_WAITING,
)
from lukas.domain.events import (
    DomainEvent,
    ForgettingRequested,
    MessageReceived,
    PersonForgotten,
    ReplyGenerated,
    RequestDeclined,
)
from lukas.domain.forgetting import FORGETTING_STREAM
from lukas.domain.personal_data import FORGOTTEN

pytestmark = pytest.mark.anyio

BOB = ("U0BOB", "Bob")  # on no roster: asked about by his member id


async def words_of(desk: DeskWorld, person: str) -> list[str]:
    """Everything `person` said to Lukas and he said to them, as the log reads now."""
    words: list[str] = []
    for recorded in await desk.lukas.store.read_all():
        match recorded.event:
            case MessageReceived(author_id=author) if author == person:
                words.append(recorded.event.text)
            case ReplyGenerated(person_id=whom) if whom == person:
                words.append(recorded.event.text)
            case _:
                pass
    return words


async def forgetting_events(desk: DeskWorld) -> list[DomainEvent]:
    return [r.event for r in await desk.lukas.store.read_stream(FORGETTING_STREAM)]


async def test_a_member_asks_then_confirms_and_their_words_are_forgotten() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("my secret recipe is honey with thyme")
    await desk.say("I like honey too", ADMIN)
    assert await desk.say("forget me") == ASK_ME
    assert "yes, forget me" in ASK_ME
    assert "10 minutes" in ASK_ME
    assert await desk.say("yes, forget me") == FORGOT_ME
    assert FORGOT_ME == "Done: I have forgotten everything you and I said to each other. 🐻"

    ada = await words_of(desk, MEMBER[0])
    # Everything before the confirmation is gone; only the confirmation's answer is new.
    assert ada == [FORGOTTEN] * (len(ada) - 1) + [FORGOT_ME]
    assert len(ada) == 6
    grace = await words_of(desk, ADMIN[0])
    assert grace[0] == "I like honey too"
    assert FORGOTTEN not in grace

    asked, confirmed, done = await forgetting_events(desk)
    assert asked == ForgettingRequested(
        person_id="U0ADA",
        requested_by="U0ADA",
        via="slack",
        confirmed=False,
        confirm_by="2026-11-25T09:10:00+00:00",
    )
    assert isinstance(confirmed, ForgettingRequested)
    assert confirmed.confirmed
    assert isinstance(done, PersonForgotten)
    assert done.person_id == "U0ADA"
    assert done.keys_deleted >= 1


async def test_a_forgotten_member_is_answered_afresh_with_none_of_their_old_words() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("my secret recipe is honey with thyme")
    await desk.say("forget me")
    await desk.say("yes, forget me")
    await desk.say("hello again")
    sent = "\n".join(m.content for m in desk.world.model.calls[-1])
    assert "hello again" in sent
    assert "thyme" not in sent
    assert "forget me" not in sent


async def test_a_confirmation_after_ten_minutes_forgets_nothing() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("my secret recipe is honey with thyme")
    await desk.say("forget me")
    desk.clock.advance(10 * 60 + 1)
    assert await desk.say("yes, forget me") == NOTHING_WAITING
    assert "my secret recipe is honey with thyme" in await words_of(desk, MEMBER[0])
    assert not any(isinstance(e, PersonForgotten) for e in await forgetting_events(desk))


async def test_a_confirmation_just_in_time_forgets() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("my secret recipe is honey with thyme")
    await desk.say("forget me")
    desk.clock.advance(10 * 60 - 1)
    assert await desk.say("yes, forget me") == FORGOT_ME


async def test_confirming_with_nothing_asked_says_so_kindly() -> None:
    desk = await make_desk_world(sealed=True)
    assert await desk.say("yes, forget me") == NOTHING_WAITING
    assert await forgetting_events(desk) == []


async def test_a_member_cannot_have_someone_else_forgotten() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("I like honey too", ADMIN)
    answer = await desk.say("forget @Grace")
    assert answer.startswith("Sorry, Ada, only Lukas's admins can ask me to forget someone else")
    assert await desk.say("yes, forget them") == NOTHING_WAITING
    assert await forgetting_events(desk) == []
    declined = [r.event for r in await desk.lukas.store.read_stream("declined-requests")]
    assert declined == [
        RequestDeclined(
            requester="U0ADA", request="ask me to forget someone else", reason="not an admin"
        )
    ]
    assert "I like honey too" in await words_of(desk, ADMIN[0])


async def test_a_member_naming_themselves_is_asked_as_for_forget_me() -> None:
    desk = await make_desk_world(sealed=True)
    assert await desk.say("forget <@U0ADA>") == ASK_ME


async def test_an_admin_has_a_member_forgotten_and_the_others_words_stay() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("my secret recipe is honey with thyme")
    await desk.say("I like honey too", ADMIN)
    asked = await desk.say("forget @ada", ADMIN)
    assert "everything Ada said to me" in asked
    assert "yes, forget them" in asked
    # Ada confirming is not the admin confirming: the request is the admin's.
    assert await desk.say("yes, forget me") == NOTHING_WAITING
    done = await desk.say("yes, forget them", ADMIN)
    assert done == "Done: I have forgotten everything Ada and I said to each other. 🐻"

    assert set(await words_of(desk, MEMBER[0])) == {FORGOTTEN}
    assert "I like honey too" in await words_of(desk, ADMIN[0])
    forgotten = (await forgetting_events(desk))[-1]
    assert isinstance(forgotten, PersonForgotten)
    assert forgotten == PersonForgotten(
        person_id="U0ADA", requested_by="UADMIN", keys_deleted=forgotten.keys_deleted
    )


async def test_an_admin_may_name_a_member_id_the_roster_does_not_know() -> None:
    desk = await make_desk_world(sealed=True)
    await desk.say("bye, I'm leaving the lab", BOB)
    assert "everything U0BOB said to me" in await desk.say("forget <@U0BOB>", ADMIN)
    assert "U0BOB" in await desk.say("yes, forget them", ADMIN)
    assert set(await words_of(desk, BOB[0])) == {FORGOTTEN}


async def test_an_admin_naming_nobody_on_the_team_is_told_so() -> None:
    desk = await make_desk_world(sealed=True)
    answer = await desk.say("forget @nobody", ADMIN)
    assert answer == "I don't know anyone called 'nobody' on the team."
    assert await forgetting_events(desk) == []


async def test_a_log_with_words_from_before_sealing_refuses_in_lukas_s_voice() -> None:
    desk = await make_desk_world(sealed=True, plain_before=True)
    answer = await desk.say("forget me")
    assert answer.startswith("I'm sorry, I can't forget just yet 🐻 This log holds words")
    assert "lukas migrate" in answer
    assert answer.endswith("Nothing was forgotten.")
    assert await forgetting_events(desk) == []


async def test_help_tells_how_to_be_forgotten() -> None:
    desk = await make_desk_world()
    assert "forget me" in await desk.say("help")
    topic = await desk.say("help forget")
    assert topic.startswith("*Forgetting*")
    assert '"yes, forget me"' in topic
    assert "within 10 minutes" in topic
