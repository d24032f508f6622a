"""The SQLite event store (aiosqlite)."""
