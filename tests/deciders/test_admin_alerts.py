"""Admin alerts: at most one per kind within the interval."""

from __future__ import annotations

import datetime as dt

import pytest

from lukas.domain.admin_alerts import ADMIN_ALERTS, RaiseAlert, alert_stream
from lukas.domain.events import AdminAlerted
from lukas.domain.failures import FailureKind

from .conftest import START, At, Scenarios

pytestmark = pytest.mark.anyio

STREAM = alert_stream(FailureKind.AUTHENTICATION)
HOUR = dt.timedelta(hours=1)


def raise_alert(seconds: float) -> RaiseAlert:
    return RaiseAlert(
        kind=FailureKind.AUTHENTICATION,
        text="the key was refused",
        admins=("U0ADMIN",),
        now=START + dt.timedelta(seconds=seconds),
        interval=HOUR,
    )


ALERTED = AdminAlerted(
    kind=FailureKind.AUTHENTICATION, text="the key was refused", admins=("U0ADMIN",)
)


async def test_the_first_alert_goes_out(scenarios: Scenarios) -> None:
    await scenarios.run(STREAM, ADMIN_ALERTS, when=raise_alert(0), then=[ALERTED], at=0)


async def test_within_the_hour_no_second_alert(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM, ADMIN_ALERTS, given=[At(0, ALERTED)], when=raise_alert(3599), then=[], at=3599
    )


async def test_after_the_hour_the_next_alert_goes_out(scenarios: Scenarios) -> None:
    await scenarios.run(
        STREAM,
        ADMIN_ALERTS,
        given=[At(0, ALERTED)],
        when=raise_alert(3600),
        then=[ALERTED],
        at=3600,
    )
