"""The platform end to end: every service starts as a real process against the real
PostgreSQL and Kafka, answers its health, readiness and metrics, documents its API
and stops cleanly."""

from __future__ import annotations

import signal
import uuid

import asyncpg
import httpx
import pytest

from sawt_shared.testing import StackEnv, wait_until
from tests.conftest import StartService

pytestmark = pytest.mark.asyncio

SERVICES = ("identity", "petitions", "consultations", "notifications")


@pytest.mark.parametrize("name", SERVICES)
async def test_a_service_is_healthy_ready_measured_and_documented(
    start_service: StartService, name: str
) -> None:
    service = await start_service(name)
    async with service.client() as client:
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}

        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "database": "ok", "broker": "ok"}

        spec = (await client.get("/openapi.json")).json()
        assert spec["info"]["title"].lower().endswith(name)
        assert "/readyz" in spec["paths"]

        request_id = uuid.uuid4().hex
        missing = await client.get("/no-such-thing", headers={"X-Request-ID": request_id})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["x-request-id"] == request_id

        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "# TYPE http_requests_total counter" in metrics.text
    # uvicorn re-raises SIGTERM once its shutdown is complete
    assert await service.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in service.log.read_text()


async def test_readiness_is_a_503_problem_while_the_database_is_unreachable(
    start_service: StartService, stack: StackEnv
) -> None:
    service = await start_service("consultations")
    database = stack.database_name("consultations")
    admin = await asyncpg.connect(stack.pg_admin_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        async with service.client() as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            assert ready.json()["type"].endswith("/not-ready")
            assert "database" in ready.json()["detail"]
            assert (await client.get("/healthz")).status_code == 200
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        async with service.client() as client:
            await wait_until(
                lambda: _ready(client), timeout=20, message="ready again once the database is back"
            )
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        await admin.close()
        await service.stop()


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
