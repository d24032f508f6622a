"""Roster changes: who joined, who changed, who left, from two lists."""

from __future__ import annotations

from lukas.domain.events import MemberJoined, MemberLeft, MemberUpdated
from lukas.domain.roster import Member, fold_roster, roster_changes

ADA = Member("U1", "Ada", "Ada Lovelace", timezone="Europe/London")
BOB = Member("U2", "Bob", "Bob Builder")
BOT = Member("B1", "Helper", "Helper Bot", is_bot=True)


def test_everyone_listed_first_time_joins() -> None:
    changes = roster_changes({}, [ADA, BOT])
    assert changes == [
        MemberJoined(
            member_id="U1",
            name="Ada",
            real_name="Ada Lovelace",
            is_bot=False,
            timezone="Europe/London",
        ),
        MemberJoined(
            member_id="B1", name="Helper", real_name="Helper Bot", is_bot=True, timezone=None
        ),
    ]


def test_an_unchanged_list_changes_nothing() -> None:
    known = fold_roster(roster_changes({}, [ADA, BOB]))
    assert roster_changes(known, [ADA, BOB]) == []


def test_a_new_name_or_zone_is_an_update() -> None:
    known = fold_roster(roster_changes({}, [ADA]))
    renamed = Member("U1", "Countess", "Ada Lovelace", timezone="Europe/Paris")
    assert roster_changes(known, [renamed]) == [
        MemberUpdated(
            member_id="U1",
            name="Countess",
            real_name="Ada Lovelace",
            is_bot=False,
            timezone="Europe/Paris",
        )
    ]


def test_deactivated_and_unlisted_members_leave_once() -> None:
    known = fold_roster(roster_changes({}, [ADA, BOB]))
    gone = Member("U1", "Ada", "Ada Lovelace", deleted=True)
    changes = roster_changes(known, [gone])
    assert changes == [
        MemberLeft(member_id="U1", reason="deactivated"),
        MemberLeft(member_id="U2", reason="no longer listed"),
    ]
    after = fold_roster([*roster_changes({}, [ADA, BOB]), *changes])
    assert all(m.deleted for m in after.values())
    assert roster_changes(after, [gone]) == []


def test_a_reactivated_member_joins_again() -> None:
    history = [*roster_changes({}, [ADA]), MemberLeft(member_id="U1", reason="deactivated")]
    changes = roster_changes(fold_roster(history), [ADA])
    assert [type(c) for c in changes] == [MemberJoined]
    assert not fold_roster([*history, *changes])["U1"].deleted


def test_a_member_listed_twice_counts_once() -> None:
    assert len(roster_changes({}, [ADA, ADA])) == 1


def test_someone_deleted_before_lukas_knew_them_is_not_recorded() -> None:
    assert roster_changes({}, [Member("U9", "Gone", "Gone", deleted=True)]) == []


def test_reachable_means_a_person_still_on_the_team() -> None:
    assert ADA.reachable
    assert not BOT.reachable
    assert not Member("U3", "Cy", "Cy", deleted=True).reachable
