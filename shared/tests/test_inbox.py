"""The idempotent consumer against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from sawt_shared.db import Connection
from sawt_shared.events import EventEnvelope
from sawt_shared.inbox import EventConsumer, ReceivedEvent, run_consumer
from sawt_shared.kafka import dlq_topic, ensure_topics
from sawt_shared.logging import current_request_id
from sawt_shared.outbox import Outbox, OutboxRelay
from sawt_shared.testing import StackEnv, consume_until, wait_until
from sawt_shared.testing.sample import SampleHappened, record_effect

pytestmark = pytest.mark.asyncio


async def send(producer: AIOKafkaProducer, topic: str, event: SampleHappened) -> EventEnvelope:
    env = EventEnvelope.wrap(event, source="tests")
    await producer.send_and_wait(topic, env.data, key=env.key.encode(), headers=env.headers())
    return env


async def count(pool: asyncpg.Pool, sql: str, *args: object) -> int:
    async with pool.acquire() as conn:
        n: int = await conn.fetchval(sql, *args)
        return n


async def committed_total(stack: StackEnv, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)
    finally:
        await admin.close()


async def test_a_consumer_killed_mid_batch_reprocesses_without_doubling(
    shared_db: str,
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    stack: StackEnv,
    sample_topic: str,
) -> None:
    # A fresh topic so the offsets of this group cover only this test's events.
    topic = f"{stack.topic_prefix}killtest-{uuid.uuid4().hex[:8]}.events"
    await ensure_topics(stack.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=3)
    run = uuid.uuid4().hex
    group = f"{stack.topic_prefix}kill-{run[:8]}"
    total = 60
    aggregate = uuid.uuid4()  # one key, one partition: the consumer gets them as one batch
    for seq in range(total):
        await send(producer, topic, SampleHappened(aggregate_id=aggregate, seq=seq, run=run))

    def start() -> asyncio.Future[asyncio.subprocess.Process]:
        return asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sawt_shared.testing.sample",
                shared_db,
                stack.kafka_bootstrap,
                topic,
                group,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )

    effects_sql = "SELECT count(*) FROM sample_effects WHERE consumer = $1"
    first = await start()
    try:
        await wait_until(
            lambda: _mid_batch(pool, stack, effects_sql, group, topic),
            timeout=60,
            message="the first consumer handled events it has not committed yet",
        )
    finally:
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
    handled_before_kill = await count(pool, effects_sql, group)
    committed_before = await committed_total(stack, group, topic)
    assert handled_before_kill < total, "the kill must land mid-way"
    assert committed_before < handled_before_kill, (
        "some handled events must not have had their offsets committed, or this test "
        "does not exercise redelivery"
    )

    second = await start()
    try:
        await wait_until(
            lambda: _at_least(pool, effects_sql, group, total),
            timeout=60,
            message="the second consumer finished",
        )
        await wait_until(
            lambda: _committed_all(stack, group, topic, total),
            timeout=30,
            message="offsets committed",
        )
    finally:
        second.terminate()
        await second.wait()
    assert await count(pool, effects_sql, group) == total
    assert (
        await count(
            pool, "SELECT count(DISTINCT seq) FROM sample_effects WHERE consumer = $1", group
        )
        == total
    )


async def _mid_batch(pool: asyncpg.Pool, stack: StackEnv, sql: str, group: str, topic: str) -> bool:
    handled = await count(pool, sql, group)
    return handled >= 10 and handled > await committed_total(stack, group, topic)


async def _at_least(pool: asyncpg.Pool, sql: str, arg: object, n: int) -> bool:
    return await count(pool, sql, arg) >= n


async def _committed_all(stack: StackEnv, group: str, topic: str, total: int) -> bool:
    return await committed_total(stack, group, topic) >= total


async def test_a_message_that_always_fails_goes_to_the_dlq_and_later_ones_are_processed(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    run = uuid.uuid4().hex
    name = f"dlq-{run[:8]}"
    aggregate = uuid.uuid4()  # one key: one partition, so "later" is well defined
    tries: list[int] = []

    async def handle(conn: Connection, event: ReceivedEvent[Any]) -> None:
        if event.data.run != run:
            return
        if event.data.fail:
            tries.append(event.data.seq)
            raise ValueError(f"cannot handle seq {event.data.seq}")
        await record_effect(conn, event, name)

    poison = await send(
        producer, sample_topic, SampleHappened(aggregate_id=aggregate, seq=1, run=run, fail=True)
    )
    for seq in (2, 3):
        await send(producer, sample_topic, SampleHappened(aggregate_id=aggregate, seq=seq, run=run))

    consumer = EventConsumer(
        name=name,
        pool=pool,
        bootstrap=stack.kafka_bootstrap,
        topics=[sample_topic],
        handlers={SampleHappened: handle},
        dlq_producer=producer,
        max_attempts=3,
        backoff=0.01,
    )
    task = asyncio.create_task(run_consumer(consumer))
    try:
        await wait_until(
            lambda: _at_least(
                pool, "SELECT count(*) FROM sample_effects WHERE consumer = $1", name, 2
            ),
            timeout=60,
            message="later events processed",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert tries == [1, 1, 1]
    assert (
        await count(
            pool,
            "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2",
            name,
            poison.id,
        )
        == 0
    ), "a failed event leaves no inbox row"

    def is_poison(r: object) -> bool:
        return dict(r.headers).get("ce_id") == str(poison.id).encode()  # type: ignore[attr-defined]

    records = await consume_until(
        stack.kafka_bootstrap, dlq_topic(sample_topic), lambda rs: any(map(is_poison, rs))
    )
    [dead] = [r for r in records if is_poison(r)]
    headers = dict(dead.headers)
    assert headers["dlq_error"] == b"cannot handle seq 1"
    assert headers["dlq_error_type"] == b"ValueError"
    assert headers["dlq_attempts"] == b"3"
    assert headers["dlq_topic"] == sample_topic.encode()
    assert headers["dlq_consumer"] == name.encode()
    assert int(headers["dlq_offset"]) >= 0
    assert dead.value == poison.data


async def test_a_malformed_record_is_dead_lettered_at_once(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    marker = uuid.uuid4().hex.encode()
    await producer.send_and_wait(sample_topic, b"not json", key=marker, headers=[("x", b"1")])
    consumer = EventConsumer(
        name=f"malformed-{marker[:8].decode()}",
        pool=pool,
        bootstrap=stack.kafka_bootstrap,
        topics=[sample_topic],
        handlers={},
        dlq_producer=producer,
    )
    task = asyncio.create_task(run_consumer(consumer))
    try:
        records = await consume_until(
            stack.kafka_bootstrap,
            dlq_topic(sample_topic),
            lambda rs: any(r.key == marker for r in rs),
            timeout=30,
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [dead] = [r for r in records if r.key == marker]
    assert dict(dead.headers)["dlq_error_type"] == b"MalformedEvent"


async def test_the_request_id_follows_the_event_into_the_handler(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, stack: StackEnv, sample_topic: str
) -> None:
    run = uuid.uuid4().hex
    request_id = uuid.uuid4().hex
    seen: list[str | None] = []

    async def handle(conn: Connection, event: ReceivedEvent[Any]) -> None:
        if event.data.run == run:
            seen.append(current_request_id())

    outbox = Outbox(source="tests", topic_prefix=stack.topic_prefix, request_id=lambda: request_id)
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, SampleHappened(aggregate_id=uuid.uuid4(), seq=1, run=run))
    await OutboxRelay(pool, producer).publish_pending()

    consumer = EventConsumer(
        name=f"rid-{run[:8]}",
        pool=pool,
        bootstrap=stack.kafka_bootstrap,
        topics=[sample_topic],
        handlers={SampleHappened: handle},
        dlq_producer=producer,
    )
    task = asyncio.create_task(run_consumer(consumer))
    try:
        await wait_until(lambda: _seen(seen), timeout=30, message="event handled")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert seen == [request_id]
    assert current_request_id() is None, "the request id does not leak out of the handler"


async def _seen(seen: list[str | None]) -> bool:
    return bool(seen)
