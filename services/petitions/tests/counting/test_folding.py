"""Folding against the real database: the in-flight watermark hazard, withdrawals,
and the recount that repairs drift."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from petitions.bootstrap import Petitions
from petitions.testing import REGION, World
from sawt_shared.testing import wait_until

pytestmark = pytest.mark.asyncio


async def total(world: World, pid: str) -> int:
    return int(
        await world.scalar("SELECT total FROM petition_counts WHERE petition_id = $1", pid) or 0
    )


async def test_a_transaction_in_flight_is_not_skipped_by_the_fold(
    world: World, service: Petitions, petitions_db: str
) -> None:
    pid, _, _ = await world.open_petition()
    early, late = await world.identity.citizens(2)
    # A sign transaction that began first and commits last: with a "last id folded"
    # watermark its row would be skipped forever.
    slow = await asyncpg.connect(petitions_db)
    try:
        tx = slow.transaction()
        await tx.start()
        await slow.execute(
            "INSERT INTO signatures (id, petition_id, signer_id, region) VALUES ($1, $2, $3, $4)",
            uuid.uuid4(),
            uuid.UUID(pid),
            early.id,
            REGION,
        )
        r = await world.sign(pid, late)
        assert r.status_code == 201, r.text
        report = await service.folder.fold_once()
        while not report.folded:  # the background folder holds the lock now and then
            report = await service.folder.fold_once()
        assert await total(world, pid) == 0  # the later one waits for the earlier one
        await tx.commit()
    finally:
        await slow.close()

    async def both() -> bool:
        return await total(world, pid) == 2

    await wait_until(both, timeout=30, message="both signatures folded")
    recount = await service.folder.recount()
    assert [r for r in recount.repairs if r["petition_id"] == pid] == []


async def test_withdrawal_is_folded_and_the_signer_may_sign_again(
    world: World, client: httpx.AsyncClient
) -> None:
    pid, _, _ = await world.open_petition()
    a, b = await world.identity.citizens(2)
    assert (await world.sign(pid, a)).status_code == 201
    assert (await world.sign(pid, b)).status_code == 201

    async def folded(n: int) -> bool:
        return await total(world, pid) == n

    await wait_until(lambda: folded(2), timeout=30)
    r = await client.delete(f"/api/v1/petitions/{pid}/signatures/mine", headers=a.headers)
    assert r.status_code == 204, r.text
    await wait_until(lambda: folded(1), timeout=30)
    assert (
        await client.get(f"/api/v1/petitions/{pid}/signatures/mine", headers=a.headers)
    ).status_code == 404
    r = await client.delete(f"/api/v1/petitions/{pid}/signatures/mine", headers=a.headers)
    assert r.status_code == 404, r.text
    assert (await world.sign(pid, a)).status_code == 201
    await wait_until(lambda: folded(2), timeout=30)
    regions = await world.scalar(
        "SELECT sum(count) FROM petition_region_counts WHERE petition_id = $1", pid
    )
    assert regions == 2


async def test_recount_repairs_drift_and_says_what_it_repaired(
    world: World, client: httpx.AsyncClient
) -> None:
    pid, _, _ = await world.open_petition()
    signers = await world.identity.citizens(3)
    for s in signers:
        assert (await world.sign(pid, s)).status_code == 201

    async def folded() -> bool:
        return await total(world, pid) == 3

    await wait_until(folded, timeout=30)
    async with world.db.acquire() as conn:
        await conn.execute(
            "UPDATE petition_counts SET total = total + 5 WHERE petition_id = $1", uuid.UUID(pid)
        )
        await conn.execute(
            "UPDATE petition_region_counts SET count = 1 WHERE petition_id = $1", uuid.UUID(pid)
        )
    forbidden = await client.post("/api/v1/admin/counts/recount", headers=world.moderator)
    assert forbidden.status_code == 403
    r = await client.post("/api/v1/admin/counts/recount", headers=world.admin)
    assert r.status_code == 200, r.text
    mine = [x for x in r.json()["repairs"] if x["petition_id"] == pid]
    assert {"petition_id": pid, "count": "total", "key": None, "stored": 8, "actual": 3} in mine
    assert any(x["count"] == "region" and x["stored"] == 1 and x["actual"] == 3 for x in mine)
    assert await total(world, pid) == 3
    again = await client.post("/api/v1/admin/counts/recount", headers=world.admin)
    assert [x for x in again.json()["repairs"] if x["petition_id"] == pid] == []
    status = await client.get("/api/v1/admin/counts", headers=world.admin)
    assert status.status_code == 200
    assert status.json()["last_recount_at"] is not None
