"""The acceptance test of counting under load: 200 signers at once across a threshold.

Two instances of the service (two "processes": each its own pool, sign batcher and
folder) share the database, as two uvicorn workers would. The signers are split
between them, some send their signature twice at the same moment, and extra folds
race the background folders. Afterwards the count is exact and the threshold's
event is on Kafka exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from petitions.app import create_app
from petitions.bootstrap import Petitions
from petitions.settings import PetitionsSettings
from petitions.testing import World, petition_events
from sawt_shared.events.petitions import PetitionSigned, PetitionThresholdReached
from sawt_shared.testing import StackEnv, wait_until

pytestmark = pytest.mark.asyncio

SIGNERS = 200
THRESHOLD = 150
TWICE = 20


@pytest_asyncio.fixture(scope="module")
async def second_app(settings: PetitionsSettings, app: FastAPI) -> AsyncIterator[FastAPI]:
    other = create_app(
        settings.model_copy(update={"run_consumers": False, "sign_batch_window": 0.001})
    )
    async with LifespanManager(other, startup_timeout=60, shutdown_timeout=30):
        yield other


async def test_200_signers_at_once_across_a_threshold(
    world: World,
    app: FastAPI,
    second_app: FastAPI,
    stack: StackEnv,
) -> None:
    slug = await world.channel(
        thresholds=[
            {
                "name": "government-response",
                "signatures": THRESHOLD,
                "triggers": "response",
                "response_days": 30,
                "label": {"ar": "جواب", "fr": "Réponse", "en": "Response"},
            }
        ]
    )
    pid, _, _ = await world.open_petition(channel=slug)
    signers = await world.identity.citizens(SIGNERS)
    attempts = [*signers, *random.sample(signers, TWICE)]
    random.shuffle(attempts)

    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=a), base_url="http://p.test", timeout=60
        )
        for a in (app, second_app)
    ]
    folders = [a.state.petitions.folder for a in (app, second_app)]
    start = asyncio.Event()

    async def sign(i: int) -> int:
        await start.wait()
        person = attempts[i]
        r = await clients[i % 2].post(
            f"/api/v1/petitions/{pid}/signatures", json={}, headers=person.headers
        )
        assert r.status_code in (201, 409), r.text
        return r.status_code

    async def racing_folds() -> None:
        await start.wait()
        for _ in range(20):
            await asyncio.gather(*(f.fold_once() for f in folders))
            await asyncio.sleep(0.005)

    try:
        tasks = [asyncio.create_task(sign(i)) for i in range(len(attempts))]
        folding = asyncio.create_task(racing_folds())
        start.set()
        statuses = await asyncio.gather(*tasks)
        await folding
    finally:
        for c in clients:
            await c.aclose()

    assert statuses.count(201) == SIGNERS
    assert statuses.count(409) == TWICE
    assert (
        await world.scalar("SELECT count(*) FROM signatures WHERE petition_id = $1", pid) == SIGNERS
    )
    # group commit: the signatures shared transactions
    transactions = await world.scalar(
        "SELECT count(DISTINCT xmin::text) FROM signatures WHERE petition_id = $1", pid
    )
    assert transactions < SIGNERS / 4, transactions

    async def folded() -> bool:
        return bool(
            await world.scalar("SELECT total FROM petition_counts WHERE petition_id = $1", pid)
            == SIGNERS
        )

    await wait_until(folded, timeout=30, message="the folded count reaching 200")
    detail = (await world.client.get(f"/api/v1/petitions/{pid}")).json()
    assert detail["signatures"]["total"] == SIGNERS
    assert sum(r["count"] for r in detail["signatures"]["by_region"]) == SIGNERS
    assert (
        await world.scalar(
            "SELECT sum(count) FROM petition_hour_counts WHERE petition_id = $1", pid
        )
        == SIGNERS
    )
    assert (
        await world.scalar("SELECT count(*) FROM petition_thresholds WHERE petition_id = $1", pid)
        == 1
    )

    def counted(envs: list) -> bool:  # type: ignore[type-arg]
        types = [e.type for e in envs]
        return (
            types.count(PetitionSigned.event_type) >= SIGNERS
            and PetitionThresholdReached.event_type in types
        )

    events = await petition_events(stack, pid, counted, settle=2.0, timeout=60)
    reached = [e for e in events if e.type == PetitionThresholdReached.event_type]
    assert len(reached) == 1
    data = reached[0].parse()
    assert isinstance(data, PetitionThresholdReached)
    assert data.threshold == "government-response"
    assert data.signatures >= THRESHOLD
    assert data.response_due_at is not None
    signed = [e for e in events if e.type == PetitionSigned.event_type]
    assert len(signed) == SIGNERS
    assert len({e.id for e in signed}) == SIGNERS

    # and a recount finds nothing to repair
    service: Petitions = app.state.petitions
    report = await service.folder.recount()
    assert [r for r in report.repairs if r["petition_id"] == pid] == []
