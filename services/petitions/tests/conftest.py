"""Fixtures of the petitions tests: the service in-process against the real PostgreSQL
and Kafka, a JWKS served over real HTTP, tokens, and factories for people and petitions.

The app (and its Kafka consumer of ``identity.events``) starts once per session. Tests
share its database and make their own people, organisations, channels and petitions
with fresh ids, so they do not see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from petitions.app import create_app
from petitions.bootstrap import Petitions
from petitions.settings import PetitionsSettings
from petitions.testing import Identity, World
from sawt_shared.kafka import create_producer
from sawt_shared.testing import StackEnv, serve_asgi
from sawt_shared.testing.tokens import TEST_AUDIENCE, TEST_ISSUER, TokenFactory

# --------------------------------------------------------------------------- #
# Infrastructure
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest_asyncio.fixture(scope="session")
async def jwks_url(tokens: TokenFactory) -> AsyncIterator[str]:
    """The identity service's JWKS endpoint, played by a real HTTP server."""

    async def jwks(request: Request) -> Response:
        return JSONResponse(tokens.jwks())

    app = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
    async with serve_asgi(app) as base_url:
        yield f"{base_url}/.well-known/jwks.json"


@pytest_asyncio.fixture(scope="session")
async def petitions_db(database_url: Callable[[str], Awaitable[str]]) -> str:
    return await database_url("petitions")


def make_settings(stack: StackEnv, db: str, jwks: str, **overrides: Any) -> PetitionsSettings:
    values: dict[str, Any] = {
        "database_url": db,
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "topic_prefix": stack.topic_prefix,
        "consumer_group_prefix": f"{stack.topic_prefix}{uuid.uuid4().hex[:8]}.",
        "jwks_url": jwks,
        "token_issuer": TEST_ISSUER,
        "token_audience": TEST_AUDIENCE,
        "log_json": False,
        "log_level": "WARNING",
        "outbox_poll_interval": 0.2,
        "fold_interval": 0.1,
        "close_interval": 0.2,
        "recount_interval_hours": 0,
        "sign_limit_per_account": "1000/minute",
        "sign_limit_per_ip": "100000/minute",
        "create_limit_per_account": "1000/minute",
        "create_limit_per_ip": "100000/minute",
        "database_pool_max": 15,
        "tune_gc": False,
    }
    values.update(overrides)
    return PetitionsSettings(**values)


@pytest.fixture(scope="session")
def settings(stack: StackEnv, petitions_db: str, jwks_url: str) -> PetitionsSettings:
    return make_settings(stack, petitions_db, jwks_url)


@pytest_asyncio.fixture(scope="session")
async def app(settings: PetitionsSettings, kafka_topics: list[str]) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
        yield application


@pytest.fixture(scope="session")
def service(app: FastAPI) -> Petitions:
    petitions: Petitions = app.state.petitions
    return petitions


@pytest_asyncio.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://petitions.test", timeout=30
    ) as c:
        yield c


@pytest_asyncio.fixture(scope="session")
async def db(petitions_db: str, app: FastAPI) -> AsyncIterator[asyncpg.Pool]:
    """A pool of the test's own, to look at what the service wrote."""
    pool = await asyncpg.create_pool(petitions_db, min_size=1, max_size=4)
    assert pool is not None
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session")
async def producer(stack: StackEnv) -> AsyncIterator[AIOKafkaProducer]:
    p = create_producer(stack.kafka_bootstrap, client_id="petitions-tests")
    await p.start()
    yield p
    await p.stop()


# --------------------------------------------------------------------------- #
# Factories (see petitions.testing)
# --------------------------------------------------------------------------- #


@pytest_asyncio.fixture(scope="session")
async def identity(
    producer: AIOKafkaProducer, stack: StackEnv, tokens: TokenFactory, db: asyncpg.Pool
) -> Identity:
    return Identity(producer, stack, tokens, db)


@pytest_asyncio.fixture(scope="session")
async def world(
    client: httpx.AsyncClient, identity: Identity, db: asyncpg.Pool, tokens: TokenFactory
) -> World:
    admin = {"Authorization": f"Bearer {tokens.mint(subject=str(uuid.uuid4()), scopes=['admin'])}"}
    moderator = {
        "Authorization": "Bearer "
        + tokens.mint(subject=str(uuid.uuid4()), scopes=["petitions:moderate"])
    }
    return World(client, identity, db, admin, moderator)
