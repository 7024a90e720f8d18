"""SQL of stored idempotent responses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sawt_shared.db import Connection

__all__ = ["StoredResponse", "find", "lock", "purge_older_than", "save", "save_many"]


@dataclass(frozen=True)
class StoredResponse:
    operation: str
    request_hash: str
    status: int
    body: Any
    location: str | None


async def lock(conn: Connection, user_id: uuid.UUID, key: str) -> None:
    """Serialise requests of one user with one key until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", f"{user_id}:{key}")


async def find(conn: Connection, user_id: uuid.UUID, key: str) -> StoredResponse | None:
    row = await conn.fetchrow(
        "SELECT operation, request_hash, status, body, location FROM idempotency_keys"
        " WHERE user_id = $1 AND key = $2",
        user_id,
        key,
    )
    if row is None:
        return None
    return StoredResponse(
        row["operation"], row["request_hash"], row["status"], row["body"], row["location"]
    )


async def save(
    conn: Connection,
    user_id: uuid.UUID,
    key: str,
    response: StoredResponse,
) -> bool:
    """Whether the response was stored (``False``: the key was taken meanwhile)."""
    stored = await conn.fetchval(
        "INSERT INTO idempotency_keys (user_id, key, operation, request_hash, status, body,"
        " location) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (user_id, key) DO NOTHING RETURNING true",
        user_id,
        key,
        response.operation,
        response.request_hash,
        response.status,
        response.body,
        response.location,
    )
    return bool(stored)


async def save_many(
    conn: Connection, rows: Sequence[tuple[uuid.UUID, str, StoredResponse]]
) -> set[tuple[uuid.UUID, str]]:
    """Store several responses; returns the (user, key) pairs actually stored.

    In key order, so two transactions storing the same keys queue, never deadlock.
    """
    if not rows:
        return set()
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    stored = await conn.fetch(
        """
        INSERT INTO idempotency_keys (user_id, key, operation, request_hash, status, body,
            location)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[],
            $6::jsonb[], $7::text[])
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING user_id, key
        """,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2].operation for r in rows],
        [r[2].request_hash for r in rows],
        [r[2].status for r in rows],
        [r[2].body for r in rows],
        [r[2].location for r in rows],
    )
    return {(r["user_id"], r["key"]) for r in stored}


async def purge_older_than(conn: Connection, hours: float, *, limit: int) -> int:
    """Delete at most ``limit`` keys stored more than ``hours`` ago; returns how many."""
    status: str = await conn.execute(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN ("
        " SELECT user_id, key FROM idempotency_keys"
        " WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)",
        hours * 3600,
        limit,
    )
    return int(status.split()[-1])
