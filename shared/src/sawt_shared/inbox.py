"""The idempotent consumer: each event's effects commit once, with its inbox row.

:class:`EventConsumer` reads a service's topics in a consumer group with
auto-commit off. For each record it opens one transaction, inserts the row
``(consumer, event_id)`` into ``inbox`` and, if that row is new, runs the handler
for the event's type on the same connection. Offsets are committed only after the
transaction, so a crash re-delivers instead of losing, and the inbox row turns the
re-delivery into a no-op. A handler that keeps failing is retried with exponential
backoff; after ``max_attempts`` the record goes to ``<topic>.dlq`` with the error
and its original coordinates in headers, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from asgi_correlation_id import correlation_id
from prometheus_client import Counter
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential

from sawt_shared.db import Connection
from sawt_shared.events import Event, EventEnvelope, MalformedEvent
from sawt_shared.kafka import create_consumer, dlq_topic

__all__ = ["SCHEMA_SQL", "EventConsumer", "Handler", "ReceivedEvent", "run_consumer"]

_log = logging.getLogger("sawt.inbox")

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    event_type   text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    kafka_offset bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
"""

HANDLED = Counter("sawt_consumer_events_total", "Events handled", ["consumer", "outcome"])

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class ReceivedEvent(Generic[E]):
    """An event as a handler sees it: the typed data and its envelope."""

    envelope: EventEnvelope
    data: E
    topic: str
    partition: int
    offset: int


Handler = Callable[[Connection, ReceivedEvent[Any]], Awaitable[None]]


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: EventConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._owner.commit_processed(revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        _log.info("%s assigned %s", self._owner.name, sorted(str(tp) for tp in assigned))


class EventConsumer:
    """Consumes ``topics`` in group ``group_id`` and calls the handler of each event type.

    ``handlers`` maps event models to handlers; events of other types are skipped
    (their offsets still advance). ``dlq_producer`` sends dead letters.
    """

    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        bootstrap: str,
        topics: Sequence[str],
        handlers: Mapping[type[Event], Handler],
        dlq_producer: AIOKafkaProducer,
        group_id: str | None = None,
        max_attempts: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        consumer_factory: Callable[[], AIOKafkaConsumer] | None = None,
    ) -> None:
        self.name = name
        self._pool = pool
        self._topics = list(topics)
        self._handlers = {model.event_type: h for model, h in handlers.items()}
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        group = group_id or name
        self._consumer = (
            consumer_factory()
            if consumer_factory
            else create_consumer(bootstrap, group_id=group, client_id=name)
        )
        self._processed: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        self._consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))
        await self._consumer.start()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.commit_processed(list(self._processed))
        await self._consumer.stop()

    async def run(self) -> None:
        """Consume until cancelled. Call :meth:`start` first."""
        while True:
            batch = await self._consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    await self.handle_record(record)
                    self._processed[tp] = record.offset + 1
                await self.commit_processed([tp])

    async def commit_processed(self, partitions: Sequence[TopicPartition]) -> None:
        offsets = {
            tp: self._processed[tp]
            for tp in partitions
            if tp in self._processed and self._committed.get(tp) != self._processed[tp]
        }
        if offsets:
            await self._consumer.commit(offsets)
            self._committed.update(offsets)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record exactly once, or dead-letter it."""
        try:
            envelope = EventEnvelope.from_kafka(record.headers, record.key, record.value)
        except MalformedEvent as exc:
            await self._dead_letter(record, exc, attempts=1)
            return
        handler = self._handlers.get(envelope.type)
        if handler is None:
            HANDLED.labels(self.name, "skipped").inc()
            return
        token = correlation_id.set(envelope.request_id)
        try:
            try:
                data = envelope.parse()
            except MalformedEvent as exc:
                await self._dead_letter(record, exc, attempts=1)
                return
            event = ReceivedEvent(envelope, data, record.topic, record.partition, record.offset)
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self._max_attempts),
                    wait=wait_exponential(multiplier=self._backoff, max=self._max_backoff),
                    reraise=False,
                ):
                    with attempt:
                        outcome = await self._handle_once(handler, event)
                HANDLED.labels(self.name, outcome).inc()
            except RetryError as exc:
                cause = exc.last_attempt.exception()
                await self._dead_letter(record, cause or exc, attempts=self._max_attempts)
        finally:
            correlation_id.reset(token)

    async def _handle_once(self, handler: Handler, event: ReceivedEvent[Any]) -> str:
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id, event_type, topic, partition, kafka_offset)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
                self.name,
                event.envelope.id,
                event.envelope.type,
                event.topic,
                event.partition,
                event.offset,
            )
            if not fresh:
                return "duplicate"
            try:
                await handler(conn, event)
            except Exception:
                _log.warning(
                    "%s failed on %s %s",
                    self.name,
                    event.envelope.type,
                    event.envelope.id,
                    exc_info=True,
                )
                raise
        return "handled"

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, *, attempts: int
    ) -> None:
        _log.error(
            "%s dead-letters %s[%s]@%s: %r",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        headers = [
            *(record.headers or ()),
            ("dlq_error", str(error)[:2000].encode()),
            ("dlq_error_type", type(error).__name__.encode()),
            ("dlq_stack", "".join(traceback.format_exception(error))[-4000:].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        await self._dlq.send_and_wait(
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        HANDLED.labels(self.name, "dead_lettered").inc()


async def run_consumer(consumer: EventConsumer, ready: asyncio.Event | None = None) -> None:
    """Start, run until cancelled, then stop ``consumer``."""
    await consumer.start()
    if ready is not None:
        ready.set()
    try:
        await consumer.run()
    finally:
        await consumer.stop()
