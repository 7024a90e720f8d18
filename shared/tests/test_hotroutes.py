"""Hot routes: served ahead of the stack, yet with the request id, problems and docs.

A real service app (``create_service_app``) in process, without its lifespan: the
hot lane needs no database or broker.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import APIRouter, Request, Response

from sawt_shared.app import create_service_app
from sawt_shared.errors import Conflict, problem_responses
from sawt_shared.hotroutes import hot_route
from sawt_shared.logging import current_request_id
from sawt_shared.settings import ServiceSettings

HOT = "/things/{thing_id:uuid}/votes"
router = APIRouter()
seen: list[tuple[str, uuid.UUID, str | None]] = []


@router.post(HOT, status_code=201, responses=problem_responses(Conflict), summary="Vote")
async def vote(request: Request) -> Response:
    thing: uuid.UUID = request.path_params["thing_id"]
    seen.append(("hot", thing, current_request_id()))
    if thing.int == 0:
        raise Conflict("Already voted.", type_slug="already-voted")
    if thing.int == 1:
        raise RuntimeError("secret internals")
    return Response(b"{}", status_code=201, media_type="application/json")


@router.get("/things/{thing_id:uuid}/votes")
async def count(thing_id: uuid.UUID) -> dict[str, int]:
    seen.append(("stack", thing_id, current_request_id()))
    return {"votes": 1}


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = create_service_app(
        ServiceSettings(service_name="hot-test", log_json=False),
        title="hot",
        description="hot routes",
        routers=[router],
        hot_routes=[hot_route(router, HOT, "POST")],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def metered(metrics: str, method: str, path: str) -> bool:
    return any(
        line.startswith("http_requests_total{")
        and f'handler="{path}"' in line
        and f'method="{method}"' in line
        for line in metrics.splitlines()
    )


@pytest.mark.asyncio
async def test_the_hot_route_keeps_the_request_id_and_skips_the_http_metrics(
    client: httpx.AsyncClient,
) -> None:
    seen.clear()
    thing, request_id = uuid.uuid4(), uuid.uuid4().hex
    r = await client.post(f"/things/{thing}/votes", headers={"X-Request-ID": request_id})
    assert r.status_code == 201
    assert r.headers["X-Request-ID"] == request_id
    made_up = await client.post(f"/things/{thing}/votes")
    assert len(made_up.headers["X-Request-ID"]) == 32
    assert seen == [
        ("hot", thing, request_id),
        ("hot", thing, made_up.headers["X-Request-ID"]),
    ]
    # the other method of the same path goes down the whole stack, and is metered
    assert (await client.get(f"/things/{thing}/votes")).json() == {"votes": 1}
    assert seen[-1][0] == "stack"
    metrics = (await client.get("/metrics")).text
    assert metered(metrics, "GET", HOT)
    assert not metered(metrics, "POST", HOT)


@pytest.mark.asyncio
async def test_the_hot_route_answers_problem_documents(client: httpx.AsyncClient) -> None:
    r = await client.post(f"/things/{uuid.UUID(int=0)}/votes")
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/already-voted")
    assert "X-Request-ID" in r.headers
    boom = await client.post(f"/things/{uuid.UUID(int=1)}/votes")
    assert boom.status_code == 500
    assert boom.headers["content-type"] == "application/problem+json"
    assert "secret" not in boom.text
    # a path the hot route does not match is the router's 404 problem
    missing = await client.post("/things/not-a-uuid/votes")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.asyncio
async def test_the_hot_route_is_documented_from_its_declaration(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/things/{thing_id}/votes"]["post"]
    assert post["summary"] == "Vote"
    assert "409" in post["responses"]


def test_a_hot_route_takes_only_the_request() -> None:
    other = APIRouter()

    @other.post("/solved/{n}")
    async def solved(n: int) -> dict[str, int]:
        return {"n": n}

    with pytest.raises(ValueError, match="must take only the Request"):
        hot_route(other, "/solved/{n}", "POST")
    with pytest.raises(ValueError, match="must take only the Request"):
        hot_route(router, HOT, "GET")  # the GET of the same path solves its parameter
    with pytest.raises(ValueError, match="no route PUT"):
        hot_route(router, HOT, "PUT")
