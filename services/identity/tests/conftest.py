"""Fixtures for the identity service's tests: the app in-process on this run's
database and topics, a client, and the factory (``identity.testing``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from identity.app import create_app
from identity.settings import IdentitySettings
from identity.testing import ISSUER, Factory, make_settings
from sawt_shared.testing import StackEnv


@pytest_asyncio.fixture(scope="session")
async def identity_db(
    database_url: Callable[[str], Awaitable[str]], kafka_topics: list[str]
) -> str:
    return await database_url("identity")


@pytest_asyncio.fixture(scope="session")
async def settings(identity_db: str, stack: StackEnv) -> IdentitySettings:
    return make_settings(identity_db, stack)


@pytest_asyncio.fixture(scope="session")
async def app(settings: IdentitySettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest_asyncio.fixture(scope="session")
async def db(identity_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(identity_db, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as c:
        yield c


@pytest_asyncio.fixture(scope="session")
async def factory(db: asyncpg.Pool, settings: IdentitySettings, app: FastAPI) -> Factory:
    return Factory(db, settings)
