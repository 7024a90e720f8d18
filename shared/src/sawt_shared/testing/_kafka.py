from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

__all__ = ["consume_until", "kafka_records"]

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def consume_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[Record]], bool],
    *,
    timeout: float = 20.0,
    settle: float = 0.0,
) -> list[Record]:
    """Read ``topic`` from the beginning until ``done(records)``; then for ``settle`` s more,
    so a test can also see that nothing else arrives (a duplicate, say)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[Record] = []
    try:
        deadline = time.monotonic() + timeout
        while not done(records):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{topic}: condition not met in {timeout} s; got {len(records)}"
                )
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        end = time.monotonic() + settle
        while time.monotonic() < end:
            batch = await consumer.getmany(timeout_ms=100)
            for recs in batch.values():
                records.extend(recs)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


async def kafka_records(
    bootstrap: str, topic: str, count: int, timeout: float = 20.0
) -> list[Record]:
    """The first ``count`` records of ``topic`` (fails if fewer arrive in time)."""
    return await consume_until(bootstrap, topic, lambda rs: len(rs) >= count, timeout=timeout)
