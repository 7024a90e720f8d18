"""The transactional outbox: events are rows written with the state change, then relayed.

A service never sends to Kafka from a request. It calls :meth:`Outbox.add` with the
connection of its open transaction, so the event exists if and only if the change
committed. :class:`OutboxRelay` publishes committed rows with an idempotent producer
and marks them published.

Several relays may run at once (one per process). Rows are spread over
:data:`SHARDS` shards by their key; a relay works on a shard only while it holds
that shard's transaction-level advisory lock, and takes the shard's rows in commit
order with ``FOR UPDATE SKIP LOCKED``, so each row is published by one relay and the
events of one key leave in order. A relay that dies after producing and before
marking publishes again on restart: delivery is at least once, and consumers
deduplicate on the event id (see :mod:`sawt_shared.inbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter, Histogram

from sawt_shared.db import Connection
from sawt_shared.events import Event, EventEnvelope

__all__ = ["NOTIFY_CHANNEL", "SCHEMA_SQL", "SHARDS", "Outbox", "OutboxRelay", "shard_of"]

_log = logging.getLogger("sawt.outbox")

SHARDS = 16
NOTIFY_CHANNEL = "sawt_outbox"
_LOCK_CLASS = 0x5A17  # first key of the relay's advisory locks; the second is the shard

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS outbox (
    seq          bigserial PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    key          text        NOT NULL,
    shard        smallint    NOT NULL,
    event_type   text        NOT NULL,
    headers      jsonb       NOT NULL,
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (shard, seq) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at)
    WHERE published_at IS NOT NULL;
"""

PUBLISHED = Counter("sawt_outbox_published_total", "Outbox rows published to Kafka", ["topic"])
PUBLISH_SECONDS = Histogram(
    "sawt_outbox_publish_batch_seconds", "Time to publish and mark one outbox batch"
)


def shard_of(key: str) -> int:
    """The relay shard of a key: stable across processes and releases."""
    return zlib.crc32(key.encode()) % SHARDS


class Outbox:
    """Writes events into the outbox inside the caller's transaction."""

    def __init__(
        self,
        *,
        source: str,
        topic_prefix: str = "",
        request_id: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.source = source
        self.topic_prefix = topic_prefix
        self._request_id = request_id

    def envelope(self, event: Event, request_id: str | None = None) -> EventEnvelope:
        return EventEnvelope.wrap(
            event, source=self.source, request_id=request_id or self._request_id()
        )

    async def add(
        self,
        conn: Connection,
        *events: Event,
        request_ids: Sequence[str | None] | None = None,
    ) -> list[EventEnvelope]:
        """Queue ``events`` in the current transaction of ``conn``; returns their envelopes.

        Each event carries the id of the request being handled, or, when one
        transaction writes for several requests (group commit), its own entry of
        ``request_ids``.
        """
        if request_ids is not None and len(request_ids) != len(events):
            raise ValueError("one request id per event")
        if not conn.is_in_transaction():
            raise RuntimeError(
                "Outbox.add needs an open transaction: the event must commit "
                "with the change it records"
            )
        ids = request_ids if request_ids is not None else [None] * len(events)
        envelopes = [self.envelope(e, rid) for e, rid in zip(events, ids, strict=True)]
        # One statement for the whole batch (a group commit writes hundreds), in
        # order: a key's events get increasing ``seq``, the order the relay keeps.
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, shard, event_type, headers, payload)"
            " SELECT e, t, k, s, y, h::jsonb, p FROM unnest("
            "$1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[],"
            " $7::bytea[]) WITH ORDINALITY AS u(e, t, k, s, y, h, p, n) ORDER BY n",
            [env.id for env in envelopes],
            [type(e).topic(self.topic_prefix) for e in events],
            [env.key for env in envelopes],
            [shard_of(env.key) for env in envelopes],
            [env.type for env in envelopes],
            [json.dumps([[k, v.decode()] for k, v in env.headers()]) for env in envelopes],
            [env.data for env in envelopes],
        )
        await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        return envelopes


class OutboxRelay:
    """Publishes committed outbox rows to Kafka, shard by shard.

    ``after_produce`` is called with the batch after Kafka acknowledged it and before
    the rows are marked; tests use it to kill the relay at the worst moment.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        retention_hours: float = 24.0,
        after_produce: Callable[[Sequence[asyncpg.Record]], Awaitable[None]] | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention_hours = retention_hours
        self._after_produce = after_produce
        self._wake = asyncio.Event()
        self._stopping = False

    async def publish_pending(self) -> int:
        """One pass over every shard with pending rows; returns how many rows it published."""
        async with self._pool.acquire() as conn:
            shards = [
                r["shard"]
                for r in await conn.fetch(
                    "SELECT DISTINCT shard FROM outbox WHERE published_at IS NULL"
                )
            ]
        total = 0
        for shard in shards:
            total += await self._publish_shard(shard)
        return total

    async def _publish_shard(self, shard: int) -> int:
        # The shard's lock is held by the session, not by a transaction: nothing stays
        # open or locked while Kafka answers, so a slow or absent broker holds back
        # neither vacuum nor anyone's writes. The lock dies with the connection (and
        # the pool unlocks all on release), so a dead relay never keeps a shard.
        published = 0
        async with self._pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_CLASS, shard):
                return 0  # another relay has this shard
            try:
                while True:
                    rows = await conn.fetch(
                        "SELECT seq, topic, key, headers, payload FROM outbox"
                        " WHERE published_at IS NULL AND shard = $1 ORDER BY seq LIMIT $2",
                        shard,
                        self._batch_size,
                    )
                    if not rows:
                        return published
                    with PUBLISH_SECONDS.time():
                        await self._produce(rows)
                        if self._after_produce is not None:
                            await self._after_produce(rows)
                        await conn.execute(
                            "UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])",
                            [r["seq"] for r in rows],
                        )
                    for r in rows:
                        PUBLISHED.labels(r["topic"]).inc()
                    published += len(rows)
                    if len(rows) < self._batch_size:
                        return published
            finally:
                if not conn.is_closed():
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_CLASS, shard)

    async def _produce(self, rows: Iterable[asyncpg.Record]) -> None:
        futures = []
        for r in rows:
            headers = [(k, v.encode()) for k, v in r["headers"]]
            futures.append(
                await self._producer.send(
                    r["topic"], value=bytes(r["payload"]), key=r["key"].encode(), headers=headers
                )
            )
        await asyncio.gather(*futures)

    async def delete_published(self) -> int:
        """Drop rows published longer ago than the retention."""
        async with self._pool.acquire() as conn:
            status: str = await conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
                self._retention_hours * 3600,
            )
        return int(status.split()[-1])

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled: wake on NOTIFY, poll as a fallback, retry on errors."""
        listener: PoolConnectionProxy[asyncpg.Record] | None = None
        passes = 0
        try:
            while not self._stopping:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                self._wake.clear()
                try:
                    if await self.publish_pending():
                        continue  # there may be more; loop without waiting
                    passes += 1
                    if passes % 3600 == 0:
                        await self.delete_published()
                except (TimeoutError, asyncpg.PostgresError, OSError) as exc:
                    _log.warning("outbox relay pass failed, retrying: %s", exc)
                except Exception:
                    _log.exception("outbox relay pass failed, retrying")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
                await self._pool.release(listener)

    async def _listen(self) -> PoolConnectionProxy[asyncpg.Record] | None:
        try:
            conn = await self._pool.acquire()
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            return conn
        except (asyncpg.PostgresError, OSError) as exc:
            _log.warning("cannot LISTEN for outbox rows, polling only: %s", exc)
            return None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
