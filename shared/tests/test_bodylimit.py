"""Request bodies over the limit: a 413 problem document, through any route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from sawt_shared.app import create_service_app
from sawt_shared.hotroutes import hot_route
from sawt_shared.settings import ServiceSettings

pytestmark = pytest.mark.asyncio

LIMIT = 1000
router = APIRouter()
reads: list[int] = []


class Note(BaseModel):
    text: str


@router.post("/notes")
async def note(body: Note) -> dict[str, int]:
    reads.append(len(body.text))
    return {"length": len(body.text)}


@router.post("/hot")
async def hot(request: Request) -> Response:
    reads.append(len(await request.body()))
    return Response(status_code=204)


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = create_service_app(
        ServiceSettings(service_name="limit-test", log_json=False, max_body_bytes=LIMIT),
        title="limits",
        description="body limits",
        routers=[router],
        hot_routes=[hot_route(router, "/hot", "POST")],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def assert_too_large(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("/payload-too-large")
    assert str(LIMIT) in problem["detail"]


async def chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(300, total - sent)
        sent += 300


@pytest.mark.parametrize("path", ["/notes", "/hot"])
async def test_a_declared_length_over_the_limit_is_refused_before_any_route(
    client: httpx.AsyncClient, path: str
) -> None:
    reads.clear()
    assert_too_large(await client.post(path, json={"text": "y" * 2000}))
    assert reads == []


@pytest.mark.parametrize("path", ["/notes", "/hot"])
async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    client: httpx.AsyncClient, path: str
) -> None:
    reads.clear()
    r = await client.post(path, content=chunks(3000), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_too_large(r)
    assert reads == []


async def test_bodies_within_the_limit_are_read_whole(client: httpx.AsyncClient) -> None:
    reads.clear()
    assert (await client.post("/notes", json={"text": "y" * 900})).json() == {"length": 900}
    r = await client.post("/hot", content=chunks(LIMIT))
    assert r.status_code == 204
    assert reads == [900, LIMIT]
