"""SQL of signatures: the batch insert, withdrawals, a signer's own signature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from petitions.channels.rules import ChannelRules
from petitions.signing.rules import SignablePetition
from sawt_shared.db import Connection

__all__ = [
    "NewSignature",
    "StoredSignature",
    "delete_signature",
    "find_signature",
    "insert_signatures",
    "public_signers",
    "signable_petitions",
]


@dataclass(frozen=True)
class NewSignature:
    id: uuid.UUID
    petition_id: uuid.UUID
    signer_id: uuid.UUID
    region: str | None
    public_name: str | None
    wants_updates: bool


@dataclass(frozen=True)
class StoredSignature:
    id: uuid.UUID
    petition_id: uuid.UUID
    region: str | None
    signed_at: datetime
    public: bool


async def signable_petitions(
    conn: Connection, ids: Sequence[uuid.UUID]
) -> tuple[datetime, dict[uuid.UUID, SignablePetition]]:
    """The database's clock and what signing needs of each petition in ``ids``."""
    rows = await conn.fetch(
        "SELECT now() AS now, p.id, p.state, p.closes_at, p.region, p.rules"
        " FROM (SELECT now()) AS clock LEFT JOIN petitions p ON p.id = ANY($1::uuid[])",
        list(ids),
    )
    now: datetime = rows[0]["now"]
    found = {
        r["id"]: SignablePetition(
            id=r["id"],
            state=r["state"],
            closes_at=r["closes_at"],
            region=r["region"],
            rules=ChannelRules.from_json(r["rules"]),
        )
        for r in rows
        if r["id"] is not None
    }
    return now, found


async def insert_signatures(
    conn: Connection, rows: Sequence[NewSignature]
) -> dict[uuid.UUID, datetime]:
    """Insert in one statement; a second signature of a signer is skipped, not an error.

    The same statement appends the batch's deltas to ``fold_queue``, one row per
    petition, region and hour (a batch of 300 from one region adds one row).
    Returns ``signature id -> signed_at`` of the rows actually inserted.
    """
    if not rows:
        return {}
    # In key order: two batches (two processes) holding the same signers, each
    # waiting for the other's uncommitted row, would deadlock; in one order they
    # only queue.
    rows = sorted(rows, key=lambda r: (r.petition_id, r.signer_id))
    inserted = await conn.fetch(
        """
        WITH new AS (
            INSERT INTO signatures (id, petition_id, signer_id, region, public_name,
                                    wants_updates)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                                 $6::bool[])
            ON CONFLICT (petition_id, signer_id) DO NOTHING
            RETURNING id, petition_id, region, signed_at
        ), queued AS (
            INSERT INTO fold_queue (petition_id, region, hour, delta)
            SELECT petition_id, coalesce(region, ''), date_trunc('hour', signed_at, 'UTC'),
                   count(*)
            FROM new GROUP BY 1, 2, 3
        )
        SELECT id, signed_at FROM new
        """,
        [r.id for r in rows],
        [r.petition_id for r in rows],
        [r.signer_id for r in rows],
        [r.region for r in rows],
        [r.public_name for r in rows],
        [r.wants_updates for r in rows],
    )
    return {r["id"]: r["signed_at"] for r in inserted}


def _stored(row: asyncpg.Record) -> StoredSignature:
    return StoredSignature(
        id=row["id"],
        petition_id=row["petition_id"],
        region=row["region"],
        signed_at=row["signed_at"],
        public=row["public_name"] is not None,
    )


async def find_signature(
    conn: Connection, petition_id: uuid.UUID, signer_id: uuid.UUID
) -> StoredSignature | None:
    row = await conn.fetchrow(
        "SELECT id, petition_id, region, signed_at, public_name FROM signatures"
        " WHERE petition_id = $1 AND signer_id = $2",
        petition_id,
        signer_id,
    )
    return _stored(row) if row is not None else None


async def delete_signature(
    conn: Connection, petition_id: uuid.UUID, signer_id: uuid.UUID
) -> StoredSignature | None:
    """Remove a signature and queue its -1 for the folder; ``None`` if there was none."""
    row = await conn.fetchrow(
        """
        WITH gone AS (
            DELETE FROM signatures WHERE petition_id = $1 AND signer_id = $2
            RETURNING id, petition_id, region, signed_at, public_name
        ), queued AS (
            INSERT INTO fold_queue (petition_id, region, hour, delta)
            SELECT petition_id, coalesce(region, ''), date_trunc('hour', signed_at, 'UTC'), -1
            FROM gone
        )
        SELECT id, petition_id, region, signed_at, public_name FROM gone
        """,
        petition_id,
        signer_id,
    )
    return _stored(row) if row is not None else None


async def public_signers(
    conn: Connection,
    petition_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Signers who chose to show their name, newest first."""
    return list(
        await conn.fetch(
            """
            SELECT id, public_name, region, signed_at FROM signatures
            WHERE petition_id = $1 AND public_name IS NOT NULL
              AND ($2::timestamptz IS NULL OR (signed_at, id) < ($2, $3))
            ORDER BY signed_at DESC, id DESC LIMIT $4
            """,
            petition_id,
            after[0] if after else None,
            after[1] if after else None,
            limit,
        )
    )
