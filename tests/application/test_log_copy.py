"""Copying a log between stores: resumable, verified, refusing another log."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from fakes.stored_log import ListLog, stored

from lukas.application.log_copy import CopyError, checksum, copy_log
from lukas.application.ports.event_store import EventStoreError

pytestmark = pytest.mark.anyio


async def test_the_whole_log_is_copied_in_batches_and_progress_is_told() -> None:
    source = ListLog([stored(p) for p in range(1, 8)])
    target = ListLog()
    seen: list[tuple[int, int]] = []
    report = await copy_log(source, target, batch=3, progress=lambda *a: seen.append(a))
    assert target.events == source.events
    assert (report.events, report.copied) == (7, 7)
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert report.checksum == (await checksum(source))[1]


async def test_a_copy_stopped_midway_goes_on_from_where_it_stopped() -> None:
    source = ListLog([stored(p) for p in range(1, 8)])
    broken = ListLog(fail_after=2)
    with pytest.raises(EventStoreError, match="connection lost"):
        await copy_log(source, broken, batch=3)
    assert [e.position for e in broken.events] == [1, 2, 3, 4, 5, 6]
    target = ListLog(broken.events)
    report = await copy_log(source, target, batch=3)
    assert (report.events, report.copied) == (7, 1)
    assert target.events == source.events


async def test_a_target_with_another_log_is_refused_untouched() -> None:
    source = ListLog([stored(p) for p in range(1, 4)])
    other = ListLog([stored(1, text="other")])
    with pytest.raises(CopyError, match="holds another log"):
        await copy_log(source, other)
    assert len(other.events) == 1
    longer = ListLog([stored(p) for p in range(1, 6)])
    with pytest.raises(CopyError, match="more than"):
        await copy_log(source, longer)


async def test_a_difference_the_copy_did_not_make_fails_the_check() -> None:
    """A target whose head matches but whose older events differ is caught at the end."""
    source = ListLog([stored(p) for p in range(1, 4)])
    changed = attrs.evolve(stored(1), data='{"text": "changed"}')
    target = ListLog([changed, stored(2)])
    with pytest.raises(CopyError, match="does not match"):
        await copy_log(source, target)


async def test_times_are_compared_as_instants() -> None:
    event = stored(1)
    elsewhere = attrs.evolve(
        event, recorded_at=event.recorded_at.astimezone(dt.timezone(dt.timedelta(hours=2)))
    )
    assert await checksum(ListLog([event])) == await checksum(ListLog([elsewhere]))
