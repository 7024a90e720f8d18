"""The transactional outbox against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from sawt_shared.db import Connection
from sawt_shared.events import EventEnvelope, MalformedEvent
from sawt_shared.inbox import EventConsumer, ReceivedEvent, run_consumer
from sawt_shared.outbox import Outbox, OutboxRelay
from sawt_shared.testing import StackEnv, consume_until, wait_until
from sawt_shared.testing.sample import SampleHappened, record_effect

pytestmark = pytest.mark.asyncio

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class RelayDied(Exception):
    """Raised by the relay hook: the process dies after Kafka acknowledged the batch."""


def outbox_for(stack: StackEnv) -> Outbox:
    return Outbox(source="tests", topic_prefix=stack.topic_prefix)


def run_events(records: Sequence[Record], run: str) -> list[EventEnvelope]:
    """The envelopes of this test's events, in the order read (other tests share the topic)."""
    out = []
    for r in records:
        try:
            env = EventEnvelope.from_kafka(r.headers, r.key, r.value)
            data = env.parse()
        except MalformedEvent:
            continue
        if isinstance(data, SampleHappened) and data.run == run:
            out.append(env)
    return out


def run_data(envelopes: Sequence[EventEnvelope]) -> list[SampleHappened]:
    return [SampleHappened.model_validate_json(e.data) for e in envelopes]


async def drain(pool: asyncpg.Pool, producer: AIOKafkaProducer) -> None:
    await OutboxRelay(pool, producer).publish_pending()


async def test_an_event_of_a_rolled_back_transaction_is_never_published(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    run = uuid.uuid4().hex
    outbox = outbox_for(stack)

    async def change_that_fails() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run=run))
            raise RuntimeError("change failed")

    with pytest.raises(RuntimeError, match="change failed"):
        await change_that_fails()
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, SampleHappened(aggregate_id=uuid.uuid4(), seq=2, run=run))
    await drain(pool, producer)

    records = await consume_until(
        stack.kafka_bootstrap, sample_topic, lambda rs: len(run_events(rs, run)) >= 1, settle=1.0
    )
    assert [d.seq for d in run_data(run_events(records, run))] == [2]


async def test_outbox_refuses_to_write_outside_a_transaction(
    pool: asyncpg.Pool, stack: StackEnv
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="transaction"):
            await outbox_for(stack).add(
                conn, SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run="x")
            )


async def test_relay_dying_after_produce_republishes_and_the_effect_happens_once(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    await drain(pool, producer)
    run = uuid.uuid4().hex
    aggregate = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        [env] = await outbox_for(stack).add(
            conn, SampleHappened(aggregate_id=aggregate, seq=1, run=run)
        )

    async def die(rows: Sequence[asyncpg.Record]) -> None:
        raise RelayDied

    with pytest.raises(RelayDied):
        await OutboxRelay(pool, producer, after_produce=die).publish_pending()
    async with pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT published_at IS NULL FROM outbox WHERE event_id = $1", env.id
        ), "the row must still be pending after the relay died"

    await OutboxRelay(pool, producer).publish_pending()  # the relay's restart
    async with pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT published_at IS NOT NULL FROM outbox WHERE event_id = $1", env.id
        )
    records = await consume_until(
        stack.kafka_bootstrap, sample_topic, lambda rs: len(run_events(rs, run)) >= 2
    )
    assert [e.id for e in run_events(records, run)] == [env.id, env.id]  # published twice

    consumer_name = f"effects-{run}"

    async def handle(conn: Connection, event: ReceivedEvent[Any]) -> None:
        if event.data.run == run:
            await record_effect(conn, event, consumer_name)

    consumer = EventConsumer(
        name=consumer_name,
        pool=pool,
        bootstrap=stack.kafka_bootstrap,
        topics=[sample_topic],
        handlers={SampleHappened: handle},
        dlq_producer=producer,
    )
    task = asyncio.create_task(run_consumer(consumer))
    try:

        async def effects() -> int:
            async with pool.acquire() as conn:
                n: int = await conn.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2",
                    consumer_name,
                    env.id,
                )
                return n

        await wait_until(effects, message="the consumer handled the event")
        await asyncio.sleep(1.0)  # let the duplicate arrive too
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM sample_effects WHERE consumer = $1", consumer_name
            )
            == 1
        )


async def test_the_relay_holds_no_transaction_or_row_while_kafka_answers(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    # A slow or absent broker must not keep a transaction open (it would hold back
    # vacuum) nor lock outbox rows. The hook runs after Kafka's acknowledgement and
    # before the rows are marked: the relay's state at its longest wait.
    await drain(pool, producer)
    async with pool.acquire() as conn, conn.transaction():
        await outbox_for(stack).add(
            conn, SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run="locks")
        )
    seen: list[tuple[int, list[int]]] = []

    async def look(rows: Sequence[asyncpg.Record]) -> None:
        async with pool.acquire() as other:
            open_transactions = await other.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
            async with other.transaction():  # NOWAIT: fails at once on a locked row
                free = await other.fetch(
                    "SELECT seq FROM outbox WHERE seq = ANY($1::bigint[]) FOR UPDATE NOWAIT",
                    [r["seq"] for r in rows],
                )
            seen.append((open_transactions, [r["seq"] for r in free]))

    assert await OutboxRelay(pool, producer, after_produce=look).publish_pending() == 1
    assert len(seen) == 1
    open_transactions, free = seen[0]
    assert open_transactions == 0
    assert len(free) == 1


async def test_two_relays_publish_each_row_once_in_order_per_key(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    await drain(pool, producer)
    run = uuid.uuid4().hex
    keys = [uuid.uuid4() for _ in range(12)]
    per_key = 40
    outbox = outbox_for(stack)

    async def write(key: uuid.UUID) -> None:
        for seq in range(per_key):
            async with pool.acquire() as conn, conn.transaction():
                await outbox.add(conn, SampleHappened(aggregate_id=key, seq=seq, run=run))

    async def relay_until_done(relay: OutboxRelay, writers: asyncio.Future[list[None]]) -> int:
        published = 0
        while True:
            n = await relay.publish_pending()
            published += n
            if writers.done() and n == 0:
                return published
            await asyncio.sleep(0)

    writers = asyncio.gather(*(write(k) for k in keys))
    relays = [OutboxRelay(pool, producer, batch_size=25) for _ in range(2)]
    counts = await asyncio.gather(*(relay_until_done(r, writers) for r in relays))
    await writers
    total = len(keys) * per_key
    assert counts[0] + counts[1] == total
    assert counts[0] > 0, "both relays should have taken part"
    assert counts[1] > 0, "both relays should have taken part"

    records = await consume_until(
        stack.kafka_bootstrap,
        sample_topic,
        lambda rs: len(run_events(rs, run)) >= total,
        settle=1.0,
        timeout=60,
    )
    events = run_events(records, run)
    assert len(events) == total
    assert len({e.id for e in events}) == total
    by_key: dict[str, list[int]] = defaultdict(list)
    for env, data in zip(events, run_data(events), strict=True):
        by_key[env.key].append(data.seq)
    assert dict(by_key) == {str(k): list(range(per_key)) for k in keys}


async def test_a_transaction_written_for_several_requests_keeps_each_ones_id(
    pool: asyncpg.Pool, stack: StackEnv
) -> None:
    outbox = Outbox(source="tests", topic_prefix=stack.topic_prefix, request_id=lambda: "ambient")
    events = [SampleHappened(aggregate_id=uuid.uuid4(), seq=i, run="rid") for i in range(3)]
    async with pool.acquire() as conn, conn.transaction():
        batch = await outbox.add(conn, *events, request_ids=["r0", None, "r2"])
        single = await outbox.add(conn, events[0])
        with pytest.raises(ValueError, match="one request id per event"):
            await outbox.add(conn, *events, request_ids=["r0"])
    assert [e.request_id for e in batch] == ["r0", "ambient", "r2"]
    assert single[0].request_id == "ambient"


async def test_one_add_of_many_events_stores_them_whole_and_in_order(
    pool: asyncpg.Pool, stack: StackEnv
) -> None:
    # A group commit adds hundreds of events in one statement: a key's events must
    # keep the order given (the relay publishes by seq), each with its headers.
    key = uuid.uuid4()
    events = [SampleHappened(aggregate_id=key, seq=i, run="order") for i in range(300)]
    async with pool.acquire() as conn, conn.transaction():
        envelopes = await outbox_for(stack).add(conn, *events)
        rows = await conn.fetch(
            "SELECT event_id, key, shard, event_type, headers, payload FROM outbox"
            " WHERE event_id = ANY($1::uuid[]) ORDER BY seq",
            [e.id for e in envelopes],
        )
    assert [str(r["event_id"]) for r in rows] == [str(e.id) for e in envelopes]
    assert {r["key"] for r in rows} == {str(key)}
    assert len({r["shard"] for r in rows}) == 1
    assert [SampleHappened.model_validate_json(bytes(r["payload"])).seq for r in rows] == list(
        range(300)
    )
    assert rows[7]["headers"] == [[k, v.decode()] for k, v in envelopes[7].headers()]
