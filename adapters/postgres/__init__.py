"""The event store and checkpoints in PostgreSQL, through psycopg 3 (ADR 24)."""
