"""Bear pictures: the seed's prompt template, themes from the calendar, validation, cost.

The template, themes, occasions and quality modifiers are the seed's, joined as it shows.
Everything here is a function of its arguments: the date comes in, nothing is looked up.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

import attrs

BASE = "A friendly stuffed teddy bear mascot named Lukas"
THEMES: dict[str, str] = {
    "autumn": "surrounded by colorful fall leaves, warm golden lighting",
    "winter": "in a cozy winter scene with snow, wearing a scarf",
    "spring": "among blooming flowers, bright cheerful colors",
    "summer": "enjoying sunshine, picnic setting",
    "science": "in a research lab, surrounded by beakers and books",
    "celebration": "holding balloons, confetti, festive atmosphere",
}
OCCASIONS: dict[str, str] = {
    "halloween": "with friendly jack-o-lanterns, autumn decorations",
    "thanksgiving": "with a pie and grateful expression",
    "holiday": "with wrapped presents and holiday lights",
    "milestone": "giving a thumbs up, achievement celebration",
}
QUALITY_MODIFIERS = (
    "whimsical illustration style",
    "warm and inviting atmosphere",
    "family-friendly",
    "high quality digital art",
)
MAX_PROMPT_CHARACTERS = 4000
# Kept short and plain: the provider's own safety system is the main guard; these catch
# what a team's mascot should never be asked to draw before any money is spent.
BANNED_TERMS = (
    "nude",
    "naked",
    "gore",
    "blood",
    "weapon",
    "gun",
    "violence",
    "drug",
    "hate",
    "nazi",
    "sexy",
    "kill",
)
# Whole words (and their plurals), so "begun" or "chateau" pass.
_BANNED = re.compile(r"\b(?:" + "|".join(BANNED_TERMS) + r")s?\b", re.IGNORECASE)
ADMIN_ONLY_PICTURES = (
    "I'd love to draw for you! \U0001f43b Pictures are something only the team's admins can"
    " ask me for, though - maybe ask one of them?"
)
CAPTIONS: dict[str | None, str] = {
    "autumn": "Leaves are falling and so is my energy for anything but cocoa \U0001f43b\U0001f342",
    "winter": "Bundled up and ready for a cozy week, team! \U0001f43b\u2744\ufe0f",
    "spring": "Spring is here - time for fresh ideas and fresh honey \U0001f43b\U0001f338",
    "summer": "Soaking up the sun between experiments \U0001f43b\u2600\ufe0f",
    "science": "Lab coat on, curiosity switched to maximum \U0001f43b\U0001f52c",
    "celebration": "Time to celebrate, team - you've earned it! \U0001f43b\U0001f389",
    None: "A little bear hello for the week ahead \U0001f43b",
}


class Hemisphere(enum.Enum):
    NORTH = "north"
    SOUTH = "south"


class PromptRejectedError(ValueError):
    """The prompt fails Lukas's own checks; no request is made."""


def image_prompt(theme: str | None = None, occasion: str | None = None) -> str:
    """The seed's template: base, theme, occasion, then the quality modifiers."""
    parts = [BASE]
    if theme in THEMES:
        parts.append(THEMES[theme])
    if occasion in OCCASIONS:
        parts.append(OCCASIONS[occasion])
    parts.extend(QUALITY_MODIFIERS)
    return ", ".join(parts)


def validate_prompt(prompt: str) -> str:
    if not prompt.strip():
        raise PromptRejectedError("the prompt is empty")
    if len(prompt) > MAX_PROMPT_CHARACTERS:
        raise PromptRejectedError(
            f"the prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARACTERS} are allowed"
        )
    if _BANNED.search(prompt):
        raise PromptRejectedError("the prompt contains a term a workplace mascot avoids")
    return prompt


def season_for(day: dt.date, hemisphere: Hemisphere = Hemisphere.NORTH) -> str:
    """Meteorological seasons: Dec-Feb winter in the north, summer in the south."""
    north = {
        12: "winter",
        1: "winter",
        2: "winter",
        3: "spring",
        4: "spring",
        5: "spring",
        6: "summer",
        7: "summer",
        8: "summer",
        9: "autumn",
        10: "autumn",
        11: "autumn",
    }
    season = north[day.month]
    if hemisphere is Hemisphere.SOUTH:
        season = {"winter": "summer", "summer": "winter", "spring": "autumn", "autumn": "spring"}[
            season
        ]
    return season


def thanksgiving(year: int) -> dt.date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=3)


def occasion_for(day: dt.date, window_days: int = 3) -> str | None:
    """The occasion within `window_days` of `day`, if any: a weekly picture catches it."""
    candidates = [
        (dt.date(day.year, 10, 31), "halloween"),
        (thanksgiving(day.year), "thanksgiving"),
        (dt.date(day.year, 1, 1), "holiday"),  # New Year
        (dt.date(day.year + 1, 1, 1), "holiday"),
    ]
    for date, occasion in candidates:
        if abs((date - day).days) <= window_days:
            return occasion
    if day.month == 12 and day.day >= 15:  # the December holidays
        return "holiday"
    return None


@attrs.frozen
class Period:
    """One scheduling period: an ISO week, the unit of "one picture per period"."""

    year: int
    week: int

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^(?:weekly\s+)?([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    pass


@attrs.frozen
class WeeklyTime:
    """When the weekly picture is posted, as a weekday and a wall-clock time; the time
    zone is configuration, applied where the schedule is kept."""

    weekday: int  # Monday is 0
    at: dt.time

    @classmethod
    def parse(cls, text: str) -> WeeklyTime:
        """'fri 10:00', 'weekly friday 10:00'."""
        match = _WEEKLY.match(text.strip().lower())
        if match is None or match.group(1) not in _DAYS:
            raise ScheduleError(f"not a weekly schedule: {text!r} (e.g. 'fri 10:00')")
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ScheduleError(f"not a time of day: {hour}:{minute:02d}")
        return cls(_DAYS.index(match.group(1)), dt.time(hour, minute))


# The seed's DALL-E prices, and estimates for GPT image models (1024x1024, per image, USD).
# Providers change prices; LUKAS_IMAGE_PRICE_USD overrides the table.
PRICES_USD: dict[tuple[str, str], float] = {
    ("dall-e-3", "standard"): 0.040,
    ("dall-e-3", "hd"): 0.080,
    ("gpt-image", "low"): 0.011,
    ("gpt-image", "medium"): 0.042,
    ("gpt-image", "high"): 0.167,
}


def image_cost(model: str, quality: str, override: float | None = None) -> float:
    if override is not None:
        return override
    family = "gpt-image" if model.startswith(("gpt-image", "chatgpt-image")) else model
    return PRICES_USD.get((family, quality), PRICES_USD[("dall-e-3", "standard")])


@attrs.frozen
class PictureAsk:
    theme: str | None
    occasion: str | None


_ASK = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+)?(?:draw|make|post|send)\s+(?:me\s+|us\s+)?"
    r"(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?:bear\s+)?(?:picture|image|drawing)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def picture_ask_in(text: str) -> PictureAsk | None:
    """A request for a picture in the documented form: "draw a picture [for the milestone]"."""
    match = _ASK.match(text)
    if match is None:
        return None
    words = re.findall(r"[a-z]+", match.group("rest").lower())
    theme = next((w for w in words if w in THEMES), None)
    occasion = next((w for w in words if w in OCCASIONS), None)
    return PictureAsk(theme, occasion)
