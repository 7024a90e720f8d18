"""The one way a Sawt service is put together.

:func:`create_service_app` gives every service the same frame: JSON logs with a
request id, problem documents, the asyncpg pool, the idempotent producer, the
outbox relay, the service's consumers, token verification, health and metrics.
All clients are made in the lifespan, never at import, and closed in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, Request
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.routing import Route

from sawt_shared.auth import JWKSCache, TokenVerifier
from sawt_shared.bodylimit import BodyLimit
from sawt_shared.db import create_pool
from sawt_shared.errors import install_problem_handlers
from sawt_shared.health import health_router
from sawt_shared.hotroutes import REQUEST_ID_HEADER, HotRoutes
from sawt_shared.inbox import EventConsumer, run_consumer
from sawt_shared.kafka import create_producer
from sawt_shared.logging import configure_logging, current_request_id
from sawt_shared.outbox import Outbox, OutboxRelay
from sawt_shared.ratelimit import RateLimiter
from sawt_shared.settings import ServiceSettings

__all__ = ["OutboxDep", "Runtime", "RuntimeDep", "create_service_app"]

_log = logging.getLogger("sawt.app")


@dataclass
class Runtime:
    """What a running service holds: its settings and its clients."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    outbox: Outbox
    http: httpx.AsyncClient
    verifier: TokenVerifier
    limiter: RateLimiter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def group_id(self, consumer: str) -> str:
        return f"{self.settings.consumer_group_prefix}{consumer}"


ConsumersFactory = Callable[[Runtime], Sequence[EventConsumer]]
Hook = Callable[[Runtime], Awaitable[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    consumers: ConsumersFactory | None = None,
    on_startup: Hook | None = None,
    version: str = "0.1.0",
    hot_routes: Sequence[Route] = (),
) -> FastAPI:
    """The service's app; ``hot_routes`` (made by :func:`~sawt_shared.hotroutes.hot_route`)
    are served ahead of the middleware stack and router (see :mod:`sawt_shared.hotroutes`)."""
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_pool(
                settings.database_url,
                min_size=settings.database_pool_min,
                max_size=settings.database_pool_max,
            )
            stack.push_async_callback(pool.close)
            producer = create_producer(
                settings.kafka_bootstrap_servers, client_id=settings.service_name
            )
            await producer.start()
            stack.push_async_callback(producer.stop)
            http = httpx.AsyncClient(timeout=10.0)
            stack.push_async_callback(http.aclose)
            verifier = TokenVerifier(
                JWKSCache(settings.jwks_url, http),
                issuer=settings.token_issuer,
                audience=settings.token_audience,
                algorithms=settings.token_algorithms,
            )
            runtime = Runtime(
                settings=settings,
                pool=pool,
                producer=producer,
                outbox=Outbox(
                    source=settings.service_name,
                    topic_prefix=settings.topic_prefix,
                    request_id=current_request_id,
                ),
                http=http,
                verifier=verifier,
                limiter=RateLimiter(settings.rate_limit_storage),
            )
            app.state.runtime = runtime
            app.state.pool = pool
            app.state.producer = producer
            app.state.token_verifier = verifier
            stack.push_async_callback(_cancel, runtime.tasks)
            if settings.run_outbox_relay:
                relay = OutboxRelay(pool, producer, poll_interval=settings.outbox_poll_interval)
                runtime.tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
            if consumers is not None and settings.run_consumers:
                for consumer in consumers(runtime):
                    runtime.tasks.append(
                        asyncio.create_task(run_consumer(consumer), name=consumer.name)
                    )
            if on_startup is not None:
                await on_startup(runtime)
            _log.info("%s started", settings.service_name)
            yield

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)
    # The HTTP metrics in a registry of the app's own: the instrumentator silently
    # skips a second app of the process in the global one (tests run several).
    http_metrics = CollectorRegistry(auto_describe=True)
    app.state.metrics_registries = (http_metrics,)
    Instrumentator(
        excluded_handlers=["/metrics", "/healthz", "/readyz"], registry=http_metrics
    ).instrument(app)
    if hot_routes:  # the outermost of the app's own middleware but the body limit
        app.add_middleware(HotRoutes, routes=hot_routes, exception_handlers=app.exception_handlers)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    return app


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _outbox(request: Request) -> Outbox:
    return _runtime(request).outbox


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
