"""``/healthz`` (the process is up), ``/readyz`` (its database and broker answer), ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from sawt_shared.errors import PROBLEM_MEDIA_TYPE, NotFound, ServiceUnavailable, problem_responses

__all__ = ["health_router"]

_CHECK_TIMEOUT = 2.0


async def _database_ok(request: Request) -> str | None:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            async with request.app.state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception as exc:
        return f"database: {type(exc).__name__}: {exc}"
    return None


async def _broker_ok(request: Request) -> str | None:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            metadata = await request.app.state.producer.client.fetch_all_metadata()
        if not metadata.brokers():
            return "broker: no broker in metadata"
    except Exception as exc:
        return f"broker: {type(exc).__name__}: {exc}"
    return None


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database and the broker answer",
        responses={
            503: {
                "description": "A dependency does not answer",
                "content": {PROBLEM_MEDIA_TYPE: {}},
            }
        },
    )
    async def readyz(request: Request) -> Any:
        failures = [
            f for f in await asyncio.gather(_database_ok(request), _broker_ok(request)) if f
        ]
        if failures:
            problem = ServiceUnavailable("; ".join(failures), type_slug="not-ready")
            return JSONResponse(
                problem.to_document(request.url.path),
                status_code=503,
                media_type=PROBLEM_MEDIA_TYPE,
            )
        return {"status": "ready", "database": "ok", "broker": "ok"}

    @router.get(
        "/metrics",
        summary="Prometheus metrics (not through a proxy)",
        description="For the scraper that asks the process directly; a request that "
        "came through a proxy (it carries X-Forwarded-For or Forwarded) is a 404.",
        response_class=Response,
        responses=problem_responses(NotFound),
    )
    async def metrics(request: Request) -> Response:
        # The ingress publishes each service's every path; its own metrics are not
        # for the Internet, so anything that went through a proxy does not see them.
        if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
            raise NotFound("Metrics are served only to a scraper that asks the process itself.")
        # The process's metrics, then the app's own HTTP metrics (see create_service_app).
        registries = [REGISTRY, *getattr(request.app.state, "metrics_registries", ())]
        body = b"".join(generate_latest(registry) for registry in registries)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
