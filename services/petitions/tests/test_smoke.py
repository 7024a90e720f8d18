import httpx
import pytest

from petitions.testing import World

pytestmark = pytest.mark.asyncio


async def test_the_service_starts_and_signs(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/channels")
    assert r.status_code == 200, r.text
    assert {c["slug"] for c in r.json()} >= {"national-petition", "open-petition"}
    pid, creator, _ = await world.open_petition()
    signer = await world.identity.citizen()
    r = await world.sign(pid, signer)
    assert r.status_code == 201, r.text
