"""Requests through the desk, against fakes: settings, permissions, announcements, help."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.chat_model import FakeChatModel, FakeReply
from fakes.desk_world import ADMIN, BERLIN, MEMBER, make_desk_world
from fakes.world import make_world

from lukas.application.live_settings import CONFIG_STREAM, Tunables
from lukas.application.offline_model import OfflineChatModel
from lukas.application.ports.chat_model import ToolCall
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.application.ports.tool_actions import Author
from lukas.domain.check_in_schedule import CHECK_IN_STREAM
from lukas.domain.events import (
    AnnouncementFailed,
    AnnouncementPosted,
    CheckInScheduled,
    ConfigurationChanged,
    ProactivePaused,
    ProactiveResumed,
    RequestDeclined,
)
from lukas.domain.settings import LIVE_SETTINGS

pytestmark = pytest.mark.anyio


async def test_an_admin_changes_a_setting_and_it_is_in_force_at_once() -> None:
    desk = await make_desk_world()
    answer = await desk.say("set thread probability to 0.5", ADMIN)
    assert answer == "Done: thread probability is now 0.5 (it was 0.2)."
    assert (await desk.settings.current()).thread_probability == 0.5
    [changed] = [r.event for r in await desk.world.store.read_stream(CONFIG_STREAM)]
    assert changed == ConfigurationChanged(
        setting="LUKAS_THREAD_PROBABILITY", old_value="0.2", new_value="0.5", by="UADMIN"
    )


async def test_a_non_admin_is_declined_politely_and_the_attempt_is_recorded() -> None:
    desk = await make_desk_world()
    answer = await desk.say("set thread probability to 0.5", MEMBER)
    assert answer.startswith("Sorry, Ada, only Lukas's admins can change the thread probability")
    assert (await desk.settings.current()).thread_probability == 0.2
    declined = [r.event for r in await desk.world.store.read_stream("declined-requests")]
    assert declined == [
        RequestDeclined(
            requester="U0ADA",
            request="change the thread probability to 0.5",
            reason="not an admin",
        )
    ]


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("set thread probability to 1.7", "a probability must be between 0 and 1"),
        ("set reaction probability to lots", "is not a number"),
        ("set check-in interval to 48h-24h", "from shorter to longer"),
        ("set active hours to 18:00-08:00", "must end after they start"),
        ("set image schedule to someday", "not a weekly schedule"),
    ],
)
async def test_invalid_values_are_refused_with_the_reason(said: str, reason: str) -> None:
    desk = await make_desk_world()
    answer = await desk.say(said, ADMIN)
    assert answer.startswith("I can't set ")
    assert reason in answer
    assert await desk.settings.current() == Tunables()
    assert await desk.world.store.read_stream(CONFIG_STREAM) == []


async def test_every_tunable_setting_can_be_changed() -> None:
    desk = await make_desk_world()
    for said in (
        "set check-in interval to 2h-4h",
        "set reaction probability to 25%",
        "set active hours to always",
        "set monitored channels to #general, #random",
        "set image schedule to mon 09:30",
    ):
        assert (await desk.say(said, ADMIN)).startswith("Done:"), said
    assert await desk.settings.current() == Tunables(
        dm_interval="2h-4h",
        reaction_probability=0.25,
        active_hours="always",
        monitored_channels=("#general", "#random"),
        image_schedule="mon 09:30",
    )


async def test_setting_the_value_in_force_records_nothing() -> None:
    desk = await make_desk_world()
    assert await desk.say("set thread probability to 0.2", ADMIN) == (
        "Thread probability is 0.2 already."
    )
    assert await desk.world.store.read_stream(CONFIG_STREAM) == []


async def test_pause_and_resume_are_for_admins() -> None:
    desk = await make_desk_world()
    declined = await desk.say("pause", MEMBER)
    assert "only Lukas's admins can pause" in declined
    assert await desk.switch.paused_until() is None
    answer = await desk.say("pause until tomorrow 9am", ADMIN)
    assert answer.startswith("Okay, I'll stay quiet until tomorrow at 09:00.")
    until = await desk.switch.paused_until()
    assert until == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    assert (await desk.say("resume", ADMIN)).startswith("I'm back")
    assert await desk.switch.paused_until() is None
    kinds = [type(r.event) for r in await desk.world.store.read_stream("proactive")]
    assert kinds == [ProactivePaused, ProactiveResumed]


async def test_an_announcement_reaches_the_channel_and_the_requester_hears_so() -> None:
    desk = await make_desk_world()
    answer = await desk.say("post 'Team meeting at 3pm' to #general")
    assert answer == "Posted in #general. ✅"
    assert desk.channels.posted == [("C0GEN", "Team meeting at 3pm")]
    events = [r.event for r in await desk.world.store.read_all()]
    assert any(isinstance(e, AnnouncementPosted) and e.channel == "C0GEN" for e in events)


async def test_not_in_the_channel_says_so_and_how_to_invite_lukas() -> None:
    desk = await make_desk_world()
    answer = await desk.say("post 'hello' to #secret")
    assert "I'm not in #secret yet" in answer
    assert "/invite @Lukas" in answer
    unknown = await desk.say("post 'hello' to #nowhere")
    assert unknown == "I can't find a channel called #nowhere."
    assert desk.channels.posted == []
    failed = [r.event for r in await desk.world.store.read_all()]
    assert sum(isinstance(e, AnnouncementFailed) for e in failed) == 2


async def test_team_info_marks_admins_and_leaves_out_bots_and_lukas() -> None:
    desk = await make_desk_world()
    assert await desk.say("who is on the team?") == "The team (2): Ada, Grace (admin)."


async def test_status_shows_settings_their_source_and_pause() -> None:
    desk = await make_desk_world()
    await desk.say("set thread probability to 0.5", ADMIN)
    await desk.say("pause", ADMIN)
    status = await desk.say("status")
    assert "• thread probability: 0.5 (set by UADMIN)" in status
    assert "• check-in interval: 24h-48h\n" in status
    assert "paused until an admin says resume" in status
    assert "next check-in: none scheduled yet" in status  # none drawn in this world
    assert "• AI provider: fake:scripted, healthy" in status


async def test_status_says_offline_when_no_provider_is_configured() -> None:
    world = make_world(
        model=OfflineChatModel("FAKE_API_KEY is not set"), admins=(ADMIN[0],), timezone=BERLIN
    )
    desk = await make_desk_world(world=world)
    status = await desk.say("status")
    assert "• AI provider: offline, none configured" in status
    assert "healthy" not in status


async def test_help_and_unclear_requests_get_a_friendly_pointer() -> None:
    desk = await make_desk_world()
    assert "Here's what I can do" in await desk.say("help")
    assert "*Reminders*" in await desk.say("help reminders")
    unclear = await desk.say("remind me sometime")
    assert 'Say "help remind" for examples.' in unclear


async def test_the_model_s_tool_call_runs_through_the_same_desk() -> None:
    call = ToolCall("post_announcement", {"channel": "#general", "text": "Cake in the kitchen!"})
    model = FakeChatModel(FakeReply("", finish_reason="tool_calls", tool_calls=(call,)))
    desk = await make_desk_world(model)
    answer = await desk.say("could you let everyone in general know there's cake?")
    assert answer == "Posted in #general. ✅"
    assert desk.channels.posted == [("C0GEN", "Cake in the kitchen!")]
    assert {tool.name for tool in desk.world.model.tool_offers[0]} >= {
        "post_announcement",
        "set_reminder",
        "change_setting",
    }


async def test_permissions_hold_when_the_model_asks_for_an_admin_action() -> None:
    call = ToolCall("change_setting", {"setting": "thread probability", "value": "1"})
    model = FakeChatModel(FakeReply("", finish_reason="tool_calls", tool_calls=(call,)))
    desk = await make_desk_world(model)
    answer = await desk.say("make yourself chattier in threads please")
    assert answer.startswith("Sorry, Ada, only Lukas's admins can")
    assert (await desk.settings.current()).thread_probability == 0.2


async def test_ordinary_chat_still_goes_to_the_model() -> None:
    desk = await make_desk_world(FakeChatModel("Hello Ada! 🐻"))
    assert await desk.say("how are you today?") == "Hello Ada! 🐻"


async def test_acting_again_for_the_same_message_posts_nothing_twice() -> None:
    desk = await make_desk_world()
    ada = Author("U0ADA", "Ada")
    general = ToolCall("post_announcement", {"channel": "#general", "text": "hi all"})
    secret = ToolCall("post_announcement", {"channel": "#secret", "text": "psst"})
    for _ in range(2):
        assert await desk.tools.act(general, ada, "message-1") == "Posted in #general. ✅"
    assert desk.channels.posted == [("C0GEN", "hi all")]
    await desk.tools.act(secret, ada, "message-2")
    again = await desk.tools.act(secret, ada, "message-2")
    assert again == "I couldn't post that in #secret (not in channel)."


async def test_stats_show_threads_reactions_and_check_ins() -> None:
    desk = await make_desk_world()
    stats = await desk.say("stats")
    assert (
        stats == "New threads I looked at: 0; joined 0; reactions: 0.\nCheck-ins: Ada 0, Grace 0."
    )


async def test_status_names_the_next_check_in_in_the_team_s_time() -> None:
    desk = await make_desk_world()
    due = CheckInScheduled(due="2026-11-26T09:00:00+00:00", interval="24h", draw=0.0)
    await desk.world.store.append(
        CHECK_IN_STREAM, [NewEvent("scheduled-1", due, EventMetadata("scheduled-1"))], 0
    )
    assert "• next check-in: Thu 26 Nov 10:00\n" in await desk.say("status")


async def test_help_names_every_setting_admins_can_change_with_its_values() -> None:
    desk = await make_desk_world()
    said = await desk.say("help settings")
    for setting in LIVE_SETTINGS:
        assert f"• {setting.label}: {setting.hint}\n" in said
        assert (await desk.say(f"set {setting.label} to", ADMIN)).startswith(
            f"what should the {setting.label} be?"
        )
