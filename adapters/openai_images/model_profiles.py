"""Which request parameters an image model takes, by model family.

GPT image models (gpt-image-*, chatgpt-image-latest) always answer in base64 and refuse the
legacy `style` and `response_format`; their qualities are low/medium/high/auto. DALL-E 3 took
standard/hd. DALL-E was retired by OpenAI (2026-05-12), but OpenAI-compatible servers may still
offer it, and other compatible servers serve models of their own: for those Lukas sends only
what every such server accepts, and takes the picture back as base64 or as a URL.
"""

from __future__ import annotations

import enum
import re
from typing import Any

import attrs


class ImageFamily(enum.Enum):
    GPT_IMAGE = "gpt_image"
    DALL_E = "dall_e"
    COMPATIBLE = "compatible"  # unknown to this table: a compatible server's own model


@attrs.frozen
class ModelProfile:
    family: ImageFamily
    # Sent when the settings name no quality; None sends none and lets the server choose.
    default_quality: str | None


_GPT_IMAGE = re.compile(r"^(gpt-image-|chatgpt-image-)")
_PROFILES: dict[str, ModelProfile] = {
    # DALL-E 2 had a single quality, so asking for one only risks a 400.
    "dall-e-2": ModelProfile(ImageFamily.DALL_E, None),
    "dall-e-3": ModelProfile(ImageFamily.DALL_E, "standard"),
}


def profile_for(model: str) -> ModelProfile:
    name = model.strip().lower()
    if _GPT_IMAGE.match(name):
        return ModelProfile(ImageFamily.GPT_IMAGE, "medium")
    return _PROFILES.get(name, ModelProfile(ImageFamily.COMPATIBLE, None))


def request_parameters(
    model: str, prompt: str, *, size: str, quality: str | None
) -> dict[str, Any]:
    """The body for POST /images/generations: one picture, never `style`/`response_format`.

    Leaving out `response_format` keeps each family on its own default (base64 for GPT image
    models, which reject the parameter; a URL for DALL-E-style servers), and the generator
    accepts both, so no family needs it.
    """
    chosen = quality if quality is not None else profile_for(model).default_quality
    parameters: dict[str, Any] = {"model": model, "prompt": prompt, "n": 1, "size": size}
    if chosen is not None:
        parameters["quality"] = chosen
    return parameters
