"""The bare baseline: FastAPI + asyncpg inserting a signature row and an outbox row.

No token, no rules, no rate limit, no idempotency, no batching: one transaction per
request, the least a sign endpoint could do. Not a service; the benchmark runs it with
``uvicorn --factory bare_app:create_app --app-dir bench/petitions`` and
``BARE_DATABASE_URL`` pointing at the benchmark's database. Its outbox rows go to
``bare_outbox``, a copy of the ``outbox`` table (same columns and indexes), so the
service's relay, running in the same database, does not try to publish them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            os.environ["BARE_DATABASE_URL"], min_size=4, max_size=20
        )
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/sign/{petition_id}", status_code=201)
    async def sign(petition_id: uuid.UUID) -> dict[str, Any]:
        signature_id, signer_id, event_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        payload = json.dumps(
            {
                "petition_id": str(petition_id),
                "signature_id": str(signature_id),
                "signer_id": str(signer_id),
            }
        ).encode()
        pool: asyncpg.Pool = app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            signed_at = await conn.fetchval(
                "INSERT INTO signatures (id, petition_id, signer_id, region)"
                " VALUES ($1, $2, $3, 'casablanca-settat') RETURNING signed_at",
                signature_id,
                petition_id,
                signer_id,
            )
            await conn.execute(
                "INSERT INTO bare_outbox (event_id, topic, key, shard, event_type, headers,"
                " payload)"
                " VALUES ($1, 'bench.petitions.events', $2, 0, 'ma.sawt.petition.signed.v1',"
                " '[]'::jsonb, $3)",
                event_id,
                str(petition_id),
                payload,
            )
        return {
            "signature_id": str(signature_id),
            "petition_id": str(petition_id),
            "signed_at": signed_at.isoformat(),
        }

    return app
