"""Folding against the real database: batches in flight, long transactions elsewhere,
withdrawals, and the recount that repairs drift."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from petitions.bootstrap import Petitions
from petitions.signing.repository import NewSignature, insert_signatures
from petitions.testing import REGION, World
from sawt_shared.testing import StackEnv, wait_until

pytestmark = pytest.mark.asyncio


async def total(world: World, pid: str) -> int:
    return int(
        await world.scalar("SELECT total FROM petition_counts WHERE petition_id = $1", pid) or 0
    )


async def fold(service: Petitions) -> None:
    report = await service.folder.fold_once()
    while not report.folded:  # the background folder holds the lock now and then
        report = await service.folder.fold_once()


async def test_a_batch_in_flight_is_not_skipped_by_the_fold(
    world: World, service: Petitions, petitions_db: str
) -> None:
    pid, _, _ = await world.open_petition()
    early, late = await world.identity.citizens(2)
    # A sign batch that began first and commits last: with a "last id folded"
    # watermark its rows would be skipped forever.
    slow = await asyncpg.connect(petitions_db)
    try:
        tx = slow.transaction()
        await tx.start()
        await insert_signatures(
            slow, [NewSignature(uuid.uuid4(), uuid.UUID(pid), early.id, REGION, None, False)]
        )
        r = await world.sign(pid, late)
        assert r.status_code == 201, r.text
        await fold(service)
        assert await total(world, pid) == 1  # the later batch is counted, the other waits
        await tx.commit()
    finally:
        await slow.close()

    async def both() -> bool:
        return await total(world, pid) == 2

    await wait_until(both, timeout=30, message="both signatures folded")
    recount = await service.folder.recount()
    assert [r for r in recount.repairs if r["petition_id"] == pid] == []


async def test_a_long_transaction_elsewhere_does_not_hold_the_counts_back(
    world: World, service: Petitions, stack: StackEnv
) -> None:
    pid, _, _ = await world.open_petition()
    signer = await world.identity.citizen()
    # A writing transaction left open in another database of the cluster (an outbox
    # relay waiting for a broker, a migration, a colleague's psql).
    other = await asyncpg.connect(stack.pg_admin_dsn)
    try:
        tx = other.transaction()
        await tx.start()
        await other.fetchval("SELECT pg_current_xact_id()")
        assert (await world.sign(pid, signer)).status_code == 201
        await fold(service)
        assert await total(world, pid) == 1
        await tx.rollback()
    finally:
        await other.close()


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
