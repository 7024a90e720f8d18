"""A sample event and a consumer process, for testing the event plumbing itself.

The sample domain is not part of the catalogue; its topic is
``{prefix}sample.events``. Run ``python -m sawt_shared.testing.sample DATABASE_URL
BOOTSTRAP TOPIC GROUP`` to consume it in a separate process that a test may kill:
each handled event adds a row to ``sample_effects`` (no unique key, so a doubled
effect would show as two rows).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any, ClassVar

from sawt_shared.db import Connection, create_pool
from sawt_shared.events import Event
from sawt_shared.inbox import EventConsumer, ReceivedEvent, run_consumer
from sawt_shared.kafka import create_producer

__all__ = ["EFFECTS_SQL", "SampleHappened", "record_effect"]

EFFECTS_SQL = """
CREATE TABLE IF NOT EXISTS sample_effects (
    id        bigserial PRIMARY KEY,
    consumer  text NOT NULL,
    event_id  uuid NOT NULL,
    aggregate uuid NOT NULL,
    seq       integer NOT NULL
);
"""


class SampleHappened(Event):
    """Something happened to a sample aggregate (tests only)."""

    event_type: ClassVar[str] = "ma.sawt.test.sample.happened.v1"
    domain: ClassVar[str] = "sample"
    key_field: ClassVar[str] = "aggregate_id"

    aggregate_id: uuid.UUID
    seq: int
    run: str
    fail: bool = False


async def record_effect(
    conn: Connection, event: ReceivedEvent[Any], consumer: str, delay: float = 0.0
) -> None:
    data: SampleHappened = event.data
    await conn.execute(
        "INSERT INTO sample_effects (consumer, event_id, aggregate, seq) VALUES ($1, $2, $3, $4)",
        consumer,
        event.envelope.id,
        data.aggregate_id,
        data.seq,
    )
    if delay:
        await asyncio.sleep(delay)


async def _main(database_url: str, bootstrap: str, topic: str, group: str) -> None:
    pool = await create_pool(database_url)
    producer = create_producer(bootstrap)
    await producer.start()

    async def handle(conn: Connection, event: ReceivedEvent[Any]) -> None:
        await record_effect(conn, event, group, delay=0.03)

    consumer = EventConsumer(
        name=group,
        pool=pool,
        bootstrap=bootstrap,
        topics=[topic],
        handlers={SampleHappened: handle},
        dlq_producer=producer,
    )
    await run_consumer(consumer)


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:5]))
