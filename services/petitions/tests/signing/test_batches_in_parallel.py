"""Two sign batches with the same signers, in two processes at once, never deadlock.

Two uvicorn workers each group-commit their own batch; a signer who sends twice
(or a retry) can be in both, in any order. Each transaction then waits for the
other's uncommitted row: in opposite orders that was a deadlock, and PostgreSQL
failed one whole batch (503 for every signer in it). The rows are inserted in key
order, so the second batch only queues behind the first.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import asyncpg
import pytest

from petitions.signing.repository import NewSignature, insert_signatures

pytestmark = pytest.mark.asyncio


def batch(petition: uuid.UUID, signers: list[uuid.UUID]) -> list[NewSignature]:
    return [NewSignature(uuid.uuid4(), petition, s, "oriental", None, False) for s in signers]


async def test_batches_holding_the_same_signers_queue_instead_of_deadlocking(
    db: asyncpg.Pool,
) -> None:
    for _ in range(15):
        petition = uuid.uuid4()
        signers = [uuid.uuid4() for _ in range(150)]
        orders = [signers, list(reversed(signers)), random.sample(signers, len(signers))]

        async def write(order: list[uuid.UUID], petition: uuid.UUID = petition) -> int:
            async with db.acquire() as conn, conn.transaction():
                return len(await insert_signatures(conn, batch(petition, order)))

        # no DeadlockDetectedError, and every signer stored exactly once
        written = await asyncio.gather(*(write(order) for order in orders))
        assert sum(written) == len(signers)
