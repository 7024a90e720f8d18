"""``/metrics`` of a service app: for the scraper that asks the process itself."""

from __future__ import annotations

import httpx
import pytest

from sawt_shared.app import create_service_app
from sawt_shared.settings import ServiceSettings

pytestmark = pytest.mark.asyncio


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = create_service_app(
        ServiceSettings(service_name="metrics-test", log_json=False),
        title="metrics",
        description="metrics",
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_metrics_are_not_served_through_a_proxy(client: httpx.AsyncClient) -> None:
    # The ingress (which adds X-Forwarded-For) publishes every path of a service, and
    # the metrics are not for the Internet.
    direct = await client.get("/metrics")
    assert direct.status_code == 200
    assert "# TYPE http_requests_total counter" in direct.text
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
        r = await client.get("/metrics", headers=header)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
