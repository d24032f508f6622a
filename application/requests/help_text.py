"""What Lukas says when asked what he can do: short, with examples people can copy."""

from __future__ import annotations

from lukas.domain.settings import LIVE_SETTINGS

_OVERVIEW = """\
Here's what I can do 🐻
• *Chat*: just talk to me, in a DM or by mentioning me.
• *Announcements*: post 'Team meeting at 3pm' to #general
• *Reminders*: remind me in 30 minutes to check the build · remind #general tomorrow at 9am \
about the standup · reminders · cancel reminder 2
• *Team*: team · status · stats
• *Forgetting*: forget me (then "yes, forget me" to confirm)
• *Admins*: set thread probability to 0.3 · pause until tomorrow 9am · resume · draw a picture
Say "help reminders" (or post, team, settings, pause, forget) for more."""

_TOPICS = {
    "post": """\
*Announcements* — I post your words in a channel and tell you when it's done.
• post 'Lab meeting moved to 3pm' to #general
• announce in #random: cake in the kitchen!
If I'm not in the channel yet, invite me there with /invite @Lukas.""",
    "remind": """\
*Reminders* — for yourself, a teammate or a channel. Times are in the team's time zone.
• remind me in 30 minutes to check the build
• remind @ada at 3pm to send the slides
• remind #general tomorrow at 9am about the standup
• remind me on friday to submit the report
Times I understand: in 2 hours, 3pm, 14:30, tomorrow at 9am, monday, 2026-12-01 09:00.
"reminders" lists yours; "cancel reminder 2" cancels one.""",
    "team": """\
*Team* — "team" lists who is on the team (admins marked), "status" shows my settings, \
whether I'm paused and whether my AI provider is healthy, "stats" shows how I've been \
reaching out.""",
    "settings": "\n".join(
        (
            '*Settings* (admins only) — "set <setting> to <value>":',
            *(f"• {s.label}: {s.hint}" for s in LIVE_SETTINGS),
            "Every change is remembered, also after a restart.",
        )
    ),
    "pause": """\
*Pausing* (admins only) — "pause" keeps me from speaking unasked (check-ins, joining \
threads, reactions) until "resume"; "pause until tomorrow 9am" or "pause for 2 hours" \
ends by itself. I still answer when spoken to.""",
    "forget": """\
*Forgetting* — "forget me" (or "forget everything I said") erases everything you said to \
me and everything I said to you, for good; I ask first, and you say "yes, forget me" \
within 10 minutes to go ahead. Admins can ask me to forget someone else: "forget @ada", \
then "yes, forget them".""",
}


def help_text(topic: str | None) -> str:
    return _TOPICS.get(topic or "", _OVERVIEW)
