"""pytest plugin: a database per service and a topic prefix per test run.

Loaded for every test run from the root ``pyproject.toml``. The databases are
made (and migrated) once per run on first use, and dropped at the end; topics
carry the run's prefix and are deleted at the end too, so runs never see each
other's data and a dev stack can run alongside.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from sawt_shared.kafka import all_topics, ensure_topics
from sawt_shared.migrations import upgrade_to_head
from sawt_shared.testing._stack import StackEnv, load_stack_env

__all__ = ["database_url", "kafka_topics", "stack"]

MigratedDatabase = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
def stack() -> StackEnv:
    return load_stack_env()


async def _recreate_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session")
async def database_url(stack: StackEnv) -> AsyncIterator[MigratedDatabase]:
    """``await database_url("petitions")``: the DSN of this run's migrated petitions DB.

    ``await database_url("petitions", "petitions_system")`` gives another database
    with the same migrations, for a test whose processes must not share one with
    the in-process apps of the service's own tests.
    """
    made: dict[str, str] = {}
    lock = asyncio.Lock()

    async def get(service: str, name: str | None = None) -> str:
        key = name or service
        async with lock:
            if key not in made:
                await _recreate_database(stack.pg_admin_dsn, stack.database_name(key))
                url = stack.database_url(key)
                if service != "shared":
                    await asyncio.to_thread(upgrade_to_head, service, url)
                made[key] = url
            return made[key]

    yield get
    conn = await asyncpg.connect(stack.pg_admin_dsn)
    try:
        for key in made:
            await conn.execute(f'DROP DATABASE IF EXISTS "{stack.database_name(key)}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session")
async def kafka_topics(stack: StackEnv) -> AsyncIterator[list[str]]:
    """This run's topics (every domain topic and its dead-letter twin), created once."""
    topics = all_topics(stack.topic_prefix)
    await ensure_topics(stack.kafka_bootstrap, topics)
    yield topics
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        existing = [t for t in await admin.list_topics() if t.startswith(stack.topic_prefix)]
        if existing:
            await admin.delete_topics(existing)
    finally:
        await admin.close()
