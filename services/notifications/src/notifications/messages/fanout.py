"""The fan-out worker: a message to every follower of a petition, queued in batches.

A fan-out row is created with the message, in the consumer's transaction. This
worker expands it ``batch_size`` followers at a time, each batch one transaction
that inserts the deliveries and feed items with ``INSERT … SELECT`` and moves the
fan-out's position: nothing is held in memory, the consumer is never blocked by a
100,000-signer response, and a restart resumes after the last committed batch.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from prometheus_client import Counter, Gauge

from notifications.messages import repository
from notifications.messages.categories import Category, in_feed
from notifications.wakeup import Waker

__all__ = ["FanoutWorker"]

_log = logging.getLogger("sawt.notifications.fanout")

FANOUT_QUEUED = Counter("sawt_notifications_fanout_queued_total", "Deliveries queued by fan-outs")
FANOUT_BATCHES = Counter("sawt_notifications_fanout_batches_total", "Fan-out batches committed")
FANOUTS_OPEN = Gauge("sawt_notifications_fanouts_open", "Fan-outs not yet fully queued")


class FanoutWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        batch_size: int = 5000,
        waker: Waker | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._batch_size = batch_size
        self._waker = waker
        self._poll_interval = poll_interval

    async def expand_one_batch(self) -> repository.FanoutBatch | None:
        """Queue one batch of one open fan-out; ``None`` when none is open."""
        async with self._pool.acquire() as conn, conn.transaction():
            fanout = await repository.next_open_fanout(conn)
            if fanout is None:
                return None
            batch = await repository.expand_fanout_batch(
                conn,
                fanout,
                batch_size=self._batch_size,
                in_feed=in_feed(Category(fanout["category"])),
            )
            if batch.queued:
                await conn.execute(f"NOTIFY {repository.EMAIL_CHANNEL}")
            if batch.seen:
                await conn.execute("SELECT pg_notify($1, '*')", repository.FEED_CHANNEL)
        FANOUT_QUEUED.inc(batch.queued)
        FANOUT_BATCHES.inc()
        return batch

    async def run_until_idle(self) -> int:
        """Expand every open fan-out completely; returns how many deliveries were queued."""
        total = 0
        while (batch := await self.expand_one_batch()) is not None:
            total += batch.queued
        return total

    async def run(self) -> None:
        while True:
            try:
                await self.run_until_idle()
                async with self._pool.acquire() as conn:
                    FANOUTS_OPEN.set(
                        await conn.fetchval("SELECT count(*) FROM fanouts WHERE done_at IS NULL")
                    )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("fan-out pass failed, retrying: %s", exc)
            except Exception:
                _log.exception("fan-out pass failed, retrying")
            if self._waker is not None:
                await self._waker.wait(repository.FANOUT_CHANNEL, self._poll_interval)
            else:
                await asyncio.sleep(self._poll_interval)
