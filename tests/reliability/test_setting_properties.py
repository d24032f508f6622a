"""Settings admins type: any text is either refused with a reason or recorded in a form that
reads back as itself and folds into the settings in force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.application.live_settings import (
    TUNABLE_ENV,
    SettingRejected,
    Tunables,
    validated,
    with_change,
)

KEYS = sorted(TUNABLE_ENV)
# Near-misses of every setting's forms, and anything at all.
VALUES = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\s*[0-9]{1,3}(\.[0-9]{1,3})?\s*%?\s*", fullmatch=True),
    st.from_regex(r"[0-9]{1,2}[smhd](-[0-9]{1,2}[smhd])?", fullmatch=True),
    st.from_regex(r"[0-2]?[0-9]:[0-5][0-9]-[0-2]?[0-9]:[0-5][0-9]", fullmatch=True),
    st.from_regex(r"(mon|tue|wed|thu|fri|sat|sun) [0-2]?[0-9]:[0-5][0-9]", fullmatch=True),
    st.from_regex(r"(#?[a-z0-9-]{1,12}|C[0-9A-Z]{4})(, ?#?[a-z0-9-]{1,12})*", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(KEYS), raw=VALUES)
def test_a_value_is_refused_with_a_reason_or_recorded_in_a_stable_form(key: str, raw: str) -> None:
    reason = ""
    try:
        value = validated(key, raw)
    except SettingRejected as refused:
        reason = str(refused)
        value = None
    if value is None:
        assert reason.strip()
        return
    assert validated(key, value) == value  # what is recorded reads back as itself
    tunables = with_change(Tunables(), key, value)
    assert tunables.text_of(key) == value  # and is what `status` and the log will show
