"""Every bear picture asked for: the prompt and theme, the picture or why there is none,
and where it was posted. One entry per picture stream (a week's, or an asking message's)."""

from __future__ import annotations

from datetime import datetime

import attrs

from lukas.application.ports.checkpoints import CheckpointSpec
from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.events import ImageFailed, ImageGenerated, ImagePosted, ImageRequested

# The picture streams: `image-period:<week>` and `image-request:<asking message>`.
_PICTURE_STREAMS = ("image-period:", "image-request:")


@attrs.define
class Picture:
    """Updated in place by the fold that made it."""

    stream_id: str
    requested: ImageRequested
    requested_at: datetime
    generated: ImageGenerated | None = None
    failed: ImageFailed | None = None
    posted_to: list[str] = attrs.field(factory=list)


# By stream id, in the order the pictures were asked for.
Gallery = dict[str, Picture]


class PictureGalleryProjection:
    def initial(self) -> Gallery:
        return {}

    def evolve(self, state: Gallery, recorded: RecordedEvent) -> Gallery:
        if not recorded.stream_id.startswith(_PICTURE_STREAMS):
            return state
        event = recorded.event
        if isinstance(event, ImageRequested):
            state.setdefault(
                recorded.stream_id, Picture(recorded.stream_id, event, recorded.recorded_at)
            )
            return state
        picture = state.get(recorded.stream_id)
        if picture is None:
            return state  # a picture's later events without its request: nothing to show
        if isinstance(event, ImageGenerated):
            picture.generated = event
        elif isinstance(event, ImageFailed):
            picture.failed = event
        elif isinstance(event, ImagePosted):
            picture.posted_to.append(event.channel)
        return state


# Bump when Picture's shape or the fold changes.
PICTURE_GALLERY = CheckpointSpec[Gallery]("picture-gallery", 1, Gallery)
