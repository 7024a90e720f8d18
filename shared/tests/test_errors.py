"""Problem documents (RFC 9457), through a real FastAPI app in process."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from sawt_shared.errors import (
    Conflict,
    TooManyRequests,
    install_problem_handlers,
    problem_responses,
)


class Body(BaseModel):
    name: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things", responses=problem_responses(Conflict))
    async def create(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise Conflict("That name is taken.", type_slug="name-taken", name=body.name)
        if body.name == "slow":
            raise TooManyRequests(retry_after=7)
        if body.name == "boom":
            raise RuntimeError("secret internals")
        return {"name": body.name}

    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.asyncio
async def test_invalid_body_is_a_422_problem_with_pointers(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"name": "x", "count": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["type"] == "https://sawt.ma/problems/invalid-input"
    assert doc["status"] == 422
    assert doc["errors"][0]["pointer"] == "/count"


@pytest.mark.asyncio
async def test_conflict_carries_its_type_and_extensions(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"name": "taken", "count": 1})
    assert r.status_code == 409
    doc = r.json()
    assert doc["type"].endswith("/name-taken")
    assert doc["name"] == "taken"
    assert doc["instance"] == "/things"


@pytest.mark.asyncio
async def test_too_many_requests_says_when_to_retry(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"name": "slow", "count": 1})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["retry_after"] == 7


@pytest.mark.asyncio
async def test_unknown_route_and_crash_are_problems_without_internals(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.post("/things", json={"name": "boom", "count": 1})
    assert r.status_code == 500
    assert "secret" not in r.text
    assert r.json()["type"].endswith("/internal-error")


def test_openapi_documents_problem_responses() -> None:
    spec = make_app().openapi()
    responses = spec["paths"]["/things"]["post"]["responses"]
    assert "application/problem+json" in responses["409"]["content"]
