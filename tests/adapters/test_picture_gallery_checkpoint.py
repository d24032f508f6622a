"""The picture gallery, folded from a real log, saved as a SQLite checkpoint and read back
equal; resumed from it, it folds on to the same state as a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest
from drivers.team_log import copy_log

from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.application.ports.checkpoints import Saved
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.picture_gallery import (
    PICTURE_GALLERY,
    PictureGalleryProjection,
)
from lukas.application.projections.projection import rebuild
from lukas.entrypoints.store_and_tokens import open_store

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_gallery_checkpoint_comes_back_equal_and_resumes(
    team_log_template: Path, tmp_path: Path
) -> None:
    db = copy_log(team_log_template, tmp_path / "log")
    projection = PictureGalleryProjection()
    async with open_store(db, create=False) as store:  # sealed words opened
        gallery, last = await rebuild(store, projection)
        [picture] = gallery.values()
        assert picture.generated is not None
        assert picture.requested.theme == "winter"
        halfway, _ = await rebuild(store, projection, until_position=last - 2)
        checkpoints = await SqliteCheckpoints.open(db)
        try:
            await checkpoints.save(PICTURE_GALLERY, Saved(last - 2, halfway))
            assert await checkpoints.load(PICTURE_GALLERY) == Saved(last - 2, halfway)
            resumed = CheckpointedProjection(store, checkpoints, projection, PICTURE_GALLERY)
            assert await resumed.current() == (gallery, last)
        finally:
            await checkpoints.close()
