"""Fixtures for the shared library's integration tests: a database with the outbox,
inbox and sample tables, and the run's sample topic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from sawt_shared import inbox, outbox
from sawt_shared.db import create_pool
from sawt_shared.kafka import create_producer, dlq_topic, ensure_topics
from sawt_shared.testing import StackEnv
from sawt_shared.testing.sample import EFFECTS_SQL, SampleHappened


@pytest_asyncio.fixture(scope="session")
async def shared_db(database_url: Callable[[str], Awaitable[str]]) -> str:
    url = await database_url("shared")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(outbox.SCHEMA_SQL + inbox.SCHEMA_SQL + EFFECTS_SQL)
    finally:
        await conn.close()
    return url


@pytest_asyncio.fixture(scope="session")
async def pool(shared_db: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(shared_db, min_size=2, max_size=20)
    yield p
    await p.close()


@pytest_asyncio.fixture(scope="session")
async def sample_topic(stack: StackEnv, kafka_topics: list[str]) -> str:
    topic = SampleHappened.topic(stack.topic_prefix)
    await ensure_topics(stack.kafka_bootstrap, [topic, dlq_topic(topic)])
    return topic


@pytest_asyncio.fixture(scope="session")
async def producer(stack: StackEnv) -> AsyncIterator[AIOKafkaProducer]:
    p = create_producer(stack.kafka_bootstrap)
    await p.start()
    yield p
    await p.stop()
