"""Seeding large event logs fast. Seeding is set-up, never what a benchmark measures.

The file is created by `SqliteEventStore.open`, so it has the real schema, triggers and
pragmas; the rows are what Lukas would have written for the same exchanges (ids derived as
in `application/identity.py`, events and metadata encoded by `EventCodec`), but they go in
through one plain sqlite3 connection with `executemany`, 50,000 rows per transaction and
`synchronous = OFF`. Appending a million events one durable transaction at a time would
take most of an hour and measure nothing the append benchmark does not already measure.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sealing.key_ring import sealed_event
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.identity import delivery_event_id, message_event_id, outcome_event_id
from lukas.application.ports.data_keys import DataKey
from lukas.application.ports.event_store import EventMetadata
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DomainEvent,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    Usage,
)
from lukas.domain.failures import FailureKind
from lukas.domain.personal_data import owner_of
from lukas.domain.retention import period_of
from lukas.domain.routing import Route

Row = tuple[str, str, int, str, int, str, str, str]  # as the INSERT below takes them

INSERT = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_ROWS_PER_TRANSACTION = 50_000
SEED_INSTANCE = "bench-seed"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# Lengths like a team's chat: a line or two from a person, two to four sentences back.
_USER_LINES = (
    "Morning Lukas! Any idea why my PCR keeps failing at the annealing step?",
    "Can you remind me what we decided about the seminar schedule?",
    "I'm stuck on the reviewer's second comment, the one about sample size.",
    "Quick one: is it 'data are' or 'data is' in a methods section?",
    "Lukas, cheer me up, the cluster has been down since lunch.",
    "What would be a good name for a hamster that lives in the lab?",
    "How do I politely say no to a fourth committee?",
    "Our group meeting ran two hours again. Ideas for keeping it short?",
    "thanks!",
    "Do bears like coffee? Asking for the whole third floor.",
    "Can you summarise the paper I pasted yesterday in three bullet points?",
    "Is it normal for a revision to take longer than the first draft?",
)
_REPLY_LINES = (
    "Ooh, annealing trouble! Try a gradient a few degrees either side of your current "
    "temperature, and check your primers for hairpins. Fresh buffer helps more often than "
    "anyone likes to admit.",
    "We settled on Thursdays at four, with a rotating host. I've got a soft spot for the "
    "weeks with cake, but that part was never minuted.",
    "The reviewer wants to know the study could detect the effect it claims. A short power "
    "analysis in the response letter usually settles it, and it shows you took them seriously.",
    "Both are used! 'Data are' is the traditional plural and many journals prefer it. "
    "Pick one and stay with it all the way through.",
    "Sending you a big fluffy bear hug. While the cluster naps, maybe it's a good moment for "
    "the figure you've been meaning to tidy? It will still be there after lunch.",
    "Professor Whiskers has a certain dignity to it. Or Pipette, for a hamster with ambition.",
    "Something like: 'Thank you for thinking of me. I can't give it the time it deserves this "
    "year, so I have to decline.' Kind, short, and no one can argue with it.",
    "A written agenda with times next to each item works wonders, and so does standing up. "
    "Bears find that a snack at minute forty-five keeps everyone moving.",
    "Any time! That's what bears are for.",
    "This bear runs on honey, but I hear the third floor runs on espresso. I'd never get "
    "between a researcher and their coffee.",
)
_PROVIDER, _MODEL = "openai", "gpt-5.4-mini"


async def create_store_file(path: Path) -> None:
    """An empty store made by the real adapter: schema, triggers, WAL, application id."""
    store = await SqliteEventStore.open(path, SystemClock())
    await store.close()


class Sealer:
    """Seals seeded events as `lukas` does (ADR 27), with keys kept in the key file beside
    the log: one per person and week, made the first time a week comes up."""

    def __init__(self, keys_path: Path) -> None:
        self._keys_path = keys_path
        self._held: dict[tuple[str, str], tuple[DataKey, AESGCM]] = {}

    def sealed(self, event_id: str, event: DomainEvent, at: datetime) -> DomainEvent:
        owner = owner_of(event)
        if owner is None:
            return event
        period = period_of(at)
        held = self._held.get((owner, period))
        if held is None:
            key = asyncio.run(self._key(owner, period))
            held = self._held[(owner, period)] = (key, AESGCM(key.secret))
        return sealed_event(event_id, event, *held)

    async def _key(self, person: str, period: str) -> DataKey:
        async with await SqliteDataKeys.open(self._keys_path, create=True) as keys:
            return await keys.key_for(person, period)


def exchange_rows(
    schedule: Iterable[ConversationKey],
    codec: EventCodec,
    *,
    limit: int | None = None,
    sealer: Sealer | None = None,
) -> Iterator[Row]:
    """Rows for one exchange per key in `schedule`: message, reply (or a fallback for one in
    fifty), delivery. Stops after `limit` rows, which may leave the last message unanswered,
    as a log cut at any moment would. With a `sealer`, personal words are sealed as in a
    log `lukas` wrote."""
    versions: dict[str, int] = {}
    produced = 0
    for number, key in enumerate(schedule):
        stream = key.stream_id
        platform_id = f"seed-{number}"
        message_id = message_event_id(key, platform_id)
        user_text = _USER_LINES[number % len(_USER_LINES)]
        reply_text = _REPLY_LINES[number % len(_REPLY_LINES)]
        received = MessageReceived(
            conversation=key,
            author_id="U0BENCH",
            author_name="Ada",
            text=user_text,
            platform_message_id=platform_id,
            token_count=len(user_text) // 4 + 2,
            route=Route.addressed(),
        )
        outcome: DomainEvent
        if number % 50 == 49:
            outcome = ReplyFailed(
                reply_to=message_id,
                person_id=received.author_id,
                kind=FailureKind.RATE_LIMIT,
                detail="429 Rate limit reached for requests",
                attempts=3,
                fallback_text="*rubs eyes sleepily* Sorry, I dozed off for a moment there.",
            )
        else:
            outcome = ReplyGenerated(
                reply_to=message_id,
                person_id=received.author_id,
                text=reply_text,
                provider=_PROVIDER,
                model=_MODEL,
                usage=Usage(prompt_tokens=900, completion_tokens=60, total_tokens=960),
                finish_reason="stop",
                latency_ms=1200 + number % 700,
                context_tokens=900,
                token_count=len(reply_text) // 4,
                first_text_ms=None,
            )
        delivered = ReplyDelivered(reply_to=message_id, platform_message_id=f"posted-{number}")
        outcome_id = outcome_event_id(message_id)
        steps: tuple[tuple[str, DomainEvent, str | None], ...] = (
            (message_id, received, None),
            (outcome_id, outcome, message_id),
            (delivery_event_id(message_id), delivered, outcome_id),
        )
        for event_id, event, causation in steps:
            if limit is not None and produced >= limit:
                return
            version = versions.get(stream, 0) + 1
            versions[stream] = version
            at = START + timedelta(seconds=produced)
            stored = event if sealer is None else sealer.sealed(event_id, event, at)
            event_type, schema_version, data = codec.encode(stored)
            metadata = codec.encode_metadata(EventMetadata(message_id, causation, SEED_INSTANCE))
            recorded_at = at.isoformat()
            yield (
                event_id,
                stream,
                version,
                event_type,
                schema_version,
                data,
                metadata,
                recorded_at,
            )
            produced += 1


def interleaved(keys: list[ConversationKey], exchanges: int) -> Iterator[ConversationKey]:
    """`exchanges` turns spread over `keys` in a scattered but repeatable order, so streams
    interleave in the global log as they do when many conversations run at once."""
    # A stride coprime with the key count visits every key once per lap, out of order.
    stride = next(s for s in range(7919, 7919 + len(keys) + 2) if _coprime(s, len(keys)))
    for turn in range(exchanges):
        yield keys[(turn * stride) % len(keys)]


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1


def bulk_insert(path: Path, rows: Iterable[Row]) -> int:
    """Inserts `rows` into a store file made by `create_store_file`; returns the row count."""
    count = 0
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Durability is pointless for a throwaway seed; the measured runs use Lukas's own.
        connection.execute("PRAGMA synchronous = OFF")
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == _ROWS_PER_TRANSACTION:
                count += _insert(connection, batch)
                batch = []
        if batch:
            count += _insert(connection, batch)
        # Move everything into the main file, as a long-running store would have by now.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return count


def _insert(connection: sqlite3.Connection, batch: list[Row]) -> int:
    connection.execute("BEGIN")
    try:
        connection.executemany(INSERT, batch)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return len(batch)


def seed(path: Path, rows: Iterable[Row]) -> tuple[int, float]:
    """A new store file at `path` holding `rows`; returns the count and seconds taken."""
    started = time.perf_counter()
    asyncio.run(create_store_file(path))
    count = bulk_insert(path, rows)
    return count, time.perf_counter() - started
