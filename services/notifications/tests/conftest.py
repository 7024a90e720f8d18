"""Fixtures of the notifications tests: the real PostgreSQL and Kafka of the run, the
real development mail server (its own process), a real HTTP webhook receiver, and the
app run in-process with its consumers and workers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from notifications.testing import DevMail, running_devmail
from sawt_shared.auth import JWKSCache, TokenVerifier
from sawt_shared.db import create_pool
from sawt_shared.events import Event, EventEnvelope
from sawt_shared.kafka import create_producer
from sawt_shared.testing import StackEnv, serve_asgi, wait_until
from sawt_shared.testing.tokens import TokenFactory

# --------------------------------------------------------------------------- #
# The development mail server, as its own process
# --------------------------------------------------------------------------- #


@pytest_asyncio.fixture(scope="session")
async def devmail(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevMail]:
    async with running_devmail(tmp_path_factory.mktemp("maildir")) as server:
        yield server


# --------------------------------------------------------------------------- #
# A webhook receiver over real HTTP, verifying with the standardwebhooks library
# --------------------------------------------------------------------------- #


@dataclass
class Hook:
    secret: str | None = None
    fail_first: int = 0
    status_on_fail: int = 500
    calls: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


class Receiver:
    def __init__(self) -> None:
        self.hooks: dict[str, Hook] = {}
        self.base_url = ""
        self.app = Starlette(routes=[Route("/hooks/{name}", self._receive, methods=["POST"])])

    def hook(self, **kwargs: Any) -> tuple[str, Hook]:
        name = uuid.uuid4().hex
        self.hooks[name] = Hook(**kwargs)
        return f"{self.base_url}/hooks/{name}", self.hooks[name]

    async def _receive(self, request: Request) -> Response:
        hook = self.hooks.get(request.path_params["name"])
        if hook is None:
            return Response(status_code=404)
        body = await request.body()
        hook.calls += 1
        headers = dict(request.headers)
        hook.headers.append(headers)
        try:
            assert hook.secret is not None
            payload = Webhook(hook.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            hook.rejected.append(str(exc))
            return Response("bad signature", status_code=400)
        if hook.fail_first > 0:
            hook.fail_first -= 1
            return Response("try again", status_code=hook.status_on_fail)
        if headers["webhook-id"] in hook.accepted_ids:
            return Response(status_code=204)  # a duplicate: acknowledged, not processed again
        hook.accepted_ids.append(headers["webhook-id"])
        hook.accepted.append(payload)
        return Response(status_code=204)


@pytest_asyncio.fixture(scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    async with serve_asgi(r.app) as base_url:
        r.base_url = base_url
        yield r


# --------------------------------------------------------------------------- #
# The app, its database and Kafka
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest_asyncio.fixture(scope="session")
async def notifications_db(database_url: Callable[[str], Awaitable[str]]) -> str:
    return await database_url("notifications")


def make_settings(
    stack: StackEnv, db: str, devmail: DevMail, **overrides: Any
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": db,
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "topic_prefix": stack.topic_prefix,
        "consumer_group_prefix": f"test-{stack.run_id}-{uuid.uuid4().hex[:6]}-",
        "token_issuer": TokenFactory().issuer,
        "smtp_port": devmail.port,
        "public_base_url": "https://notifications.sawt.test",
        "web_base_url": "https://sawt.test",
        "webhook_allow_private_addresses": True,
        "webhook_allow_http": True,
        "webhook_retry_schedule": [0.05, 0.05, 0.05, 0.05],
        "email_retry_base_seconds": 0.05,
        "sender_poll_interval": 0.5,
        "outbox_poll_interval": 0.2,
        "log_json": False,
        "fanout_batch_size": 500,
    }
    values.update(overrides)
    return NotificationsSettings(**values)


def use_test_tokens(app: FastAPI, tokens: TokenFactory) -> None:
    """Verify tokens against the test key set (the identity service's JWKS, served by a fake)."""
    client = httpx.AsyncClient(transport=tokens.jwks_transport())
    app.state.token_verifier = TokenVerifier(
        JWKSCache("https://identity.sawt.test/.well-known/jwks.json", client),
        issuer=tokens.issuer,
        audience=tokens.audience,
    )


@pytest.fixture(scope="session")
def settings(
    stack: StackEnv, notifications_db: str, devmail: DevMail, kafka_topics: list[str]
) -> NotificationsSettings:
    return make_settings(stack, notifications_db, devmail)


@pytest_asyncio.fixture(scope="session")
async def app(settings: NotificationsSettings, tokens: TokenFactory) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
        use_test_tokens(application, tokens)
        yield application


@pytest_asyncio.fixture(scope="session")
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://notifications.sawt.test"
    ) as client:
        yield client


@pytest_asyncio.fixture(scope="session")
async def app_url(app: FastAPI) -> AsyncIterator[str]:
    """The same app served over real HTTP (Server-Sent Events need a real server)."""
    async with serve_asgi(app) as base_url:
        yield base_url


@pytest_asyncio.fixture(scope="session")
async def db(notifications_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(notifications_db, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session")
async def producer(stack: StackEnv) -> AsyncIterator[AIOKafkaProducer]:
    p = create_producer(stack.kafka_bootstrap, client_id="notifications-tests")
    await p.start()
    yield p
    await p.stop()


@dataclass
class Publisher:
    producer: AIOKafkaProducer
    prefix: str

    async def publish(
        self, event: Event, *, envelope: EventEnvelope | None = None, times: int = 1
    ) -> EventEnvelope:
        """Send ``event`` as the producing service would (CloudEvents binary mode);
        ``times`` > 1 sends the very same envelope again, as a redelivery would."""
        env = envelope or EventEnvelope.wrap(event, source=f"{type(event).domain}-tests")
        for _ in range(times):
            await self.producer.send_and_wait(
                type(event).topic(self.prefix),
                value=env.data,
                key=env.key.encode(),
                headers=env.headers(),
            )
        return env


@pytest.fixture(scope="session")
def publisher(producer: AIOKafkaProducer, stack: StackEnv) -> Publisher:
    return Publisher(producer, stack.topic_prefix)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str
    display_name: str
    language: str


@dataclass
class People:
    """Makes users the way identity would: by publishing their events."""

    publisher: Publisher
    db: asyncpg.Pool

    async def user(self, language: str = "ar", *, verified: bool = True, name: str = "") -> Person:
        from sawt_shared.events.identity import UserEmailVerified, UserRegistered

        user_id = uuid.uuid4()
        address = f"{user_id.hex[:12]}@example.test"
        display_name = name or {"ar": "أمينة", "fr": "Camille", "en": "Sam"}.get(language, "Tiziri")
        await self.publisher.publish(
            UserRegistered(
                user_id=user_id,
                email=address,
                display_name=display_name,
                language=language,
                region="MA-01",
            )
        )
        if verified:
            await self.publisher.publish(UserEmailVerified(user_id=user_id, email=address))

        async def known() -> bool:
            row = await self.db.fetchrow(
                "SELECT email_verified FROM recipients WHERE user_id = $1", user_id
            )
            return row is not None and row["email_verified"] == verified

        await wait_until(known, message=f"recipient {user_id} known")
        return Person(user_id, address, display_name, language)


@pytest.fixture(scope="session")
def people(publisher: Publisher, db: asyncpg.Pool, app: FastAPI) -> People:
    return People(publisher, db)
