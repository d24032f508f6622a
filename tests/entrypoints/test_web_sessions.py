"""Sessions in memory: they expire, and a flood of visitors forgets its own sessions first."""

from __future__ import annotations

from lukas.entrypoints.web.auth import Sessions


def test_a_session_expires_after_twelve_hours() -> None:
    now = [0.0]
    sessions = Sessions(clock=lambda: now[0])
    session_id, session = sessions.start("web:admin")
    assert sessions.find(session_id) is session
    now[0] = 12 * 3600 + 1
    assert sessions.find(session_id) is None


def test_a_flood_of_anonymous_visitors_does_not_sign_an_admin_out() -> None:
    sessions = Sessions(most=3)
    admin_id, _ = sessions.start("web:admin")
    visitors = [sessions.start(None)[0] for _ in range(10)]
    assert sessions.find(admin_id) is not None
    assert [sessions.find(v) is not None for v in visitors] == [False] * 8 + [True] * 2


def test_unknown_and_missing_cookies_find_nothing() -> None:
    sessions = Sessions()
    assert sessions.find(None) is None
    assert sessions.find("made-up") is None
