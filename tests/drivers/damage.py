"""A real SQLite file damaged as a disk might damage it: one leaf page of the events table,
in the middle, overwritten."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def overwrite_a_middle_leaf_page(db: Path, fill: bytes = b"\xa5") -> None:
    with sqlite3.connect(db) as raw:
        leaves = [
            row[0]
            for row in raw.execute(
                "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'"
                " ORDER BY pageno"
            )
        ]
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    assert len(leaves) > 10, "too few pages to damage one in the middle"
    with db.open("r+b") as file:
        file.seek((leaves[len(leaves) // 2] - 1) * page_size)
        file.write(fill * page_size)
