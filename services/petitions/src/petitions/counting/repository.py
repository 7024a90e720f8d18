"""SQL of the folded counts, the fold queue, thresholds reached and recounts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from petitions.channels.rules import ChannelRules
from petitions.counting.rules import CountDelta
from sawt_shared.db import Connection

__all__ = [
    "FOLD_LOCK",
    "FoldState",
    "ThresholdRow",
    "add_hour_counts",
    "add_region_counts",
    "add_totals",
    "fold_state",
    "insert_thresholds",
    "petitions_for_thresholds",
    "queued_rows",
    "reached_thresholds",
    "record_recount",
    "save_fold_state",
    "set_hour_counts",
    "set_region_counts",
    "set_totals",
    "stored_counts",
    "take_queued",
    "true_counts",
    "try_fold_lock",
]

#: The advisory lock only the folding process holds (two int4 keys: class, object).
FOLD_LOCK = (0x5A17, 0x0F01)


@dataclass(frozen=True)
class FoldState:
    folded_at: datetime
    signatures_folded: int
    last_recount_at: datetime | None


@dataclass(frozen=True)
class ThresholdRow:
    petition_id: uuid.UUID
    threshold: str
    required: int
    signatures: int
    triggers: str
    reached_at: datetime
    response_due_at: datetime | None


async def try_fold_lock(conn: Connection) -> bool:
    """Take the folder's lock for this transaction, unless another process holds it."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)", *FOLD_LOCK))


async def fold_state(conn: Connection, *, for_update: bool = False) -> FoldState:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT folded_at, signatures_folded, last_recount_at FROM fold_state{lock}"  # noqa: S608
    )
    assert row is not None
    return FoldState(row["folded_at"], row["signatures_folded"], row["last_recount_at"])


async def queued_rows(conn: Connection) -> int:
    """Rows waiting in the fold queue (a backlog shows a folder that does not keep up)."""
    n: int = await conn.fetchval("SELECT count(*) FROM fold_queue")
    return n


async def save_fold_state(conn: Connection, *, folded: int, recounted: bool = False) -> datetime:
    at: datetime = await conn.fetchval(
        """
        UPDATE fold_state SET folded_at = now(), signatures_folded = signatures_folded + $1,
            last_recount_at = CASE WHEN $2 THEN now() ELSE last_recount_at END
        RETURNING folded_at
        """,
        folded,
        recounted,
    )
    return at


async def take_queued(conn: Connection, limit: int) -> tuple[list[CountDelta], int]:
    """Remove up to ``limit`` committed rows of the fold queue; their deltas, summed, and
    how many rows were taken. Rows of transactions still in flight are not visible, so
    they wait for the next fold: nothing is skipped, nothing is taken twice."""
    rows = await conn.fetch(
        """
        WITH taken AS (
            DELETE FROM fold_queue WHERE id IN (
                SELECT id FROM fold_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
            )
            RETURNING petition_id, region, hour, delta
        )
        SELECT petition_id, region, hour, sum(delta)::bigint AS delta, count(*) AS n
        FROM taken GROUP BY 1, 2, 3
        """,
        limit,
    )
    deltas = [CountDelta(r["petition_id"], r["region"], r["hour"], r["delta"]) for r in rows]
    return deltas, sum(r["n"] for r in rows)


async def add_totals(conn: Connection, totals: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Add to the totals; returns the new totals."""
    if not totals:
        return {}
    rows = await conn.fetch(
        """
        INSERT INTO petition_counts (petition_id, total, updated_at)
        SELECT id, n, now() FROM unnest($1::uuid[], $2::bigint[]) AS t(id, n)
        ON CONFLICT (petition_id) DO UPDATE
            SET total = petition_counts.total + EXCLUDED.total, updated_at = now()
        RETURNING petition_id, total
        """,
        list(totals),
        list(totals.values()),
    )
    return {r["petition_id"]: r["total"] for r in rows}


async def add_region_counts(conn: Connection, counts: Mapping[tuple[uuid.UUID, str], int]) -> None:
    if not counts:
        return
    await conn.execute(
        """
        INSERT INTO petition_region_counts (petition_id, region, count)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
        ON CONFLICT (petition_id, region) DO UPDATE
            SET count = petition_region_counts.count + EXCLUDED.count
        """,
        [k[0] for k in counts],
        [k[1] for k in counts],
        list(counts.values()),
    )


async def add_hour_counts(
    conn: Connection, counts: Mapping[tuple[uuid.UUID, datetime], int]
) -> None:
    if not counts:
        return
    await conn.execute(
        """
        INSERT INTO petition_hour_counts (petition_id, hour, count)
        SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[])
        ON CONFLICT (petition_id, hour) DO UPDATE
            SET count = petition_hour_counts.count + EXCLUDED.count
        """,
        [k[0] for k in counts],
        [k[1] for k in counts],
        list(counts.values()),
    )


@dataclass(frozen=True)
class ThresholdSubject:
    """What a threshold event says of its petition."""

    petition_id: uuid.UUID
    rules: ChannelRules
    creator_id: uuid.UUID
    title: dict[str, str]


async def petitions_for_thresholds(
    conn: Connection, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ThresholdSubject]:
    rows = await conn.fetch(
        "SELECT id, rules, creator_id, title FROM petitions WHERE id = ANY($1::uuid[])",
        list(ids),
    )
    return {
        r["id"]: ThresholdSubject(
            r["id"], ChannelRules.from_json(r["rules"]), r["creator_id"], r["title"]
        )
        for r in rows
    }


async def reached_thresholds(
    conn: Connection, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    rows = await conn.fetch(
        "SELECT petition_id, threshold FROM petition_thresholds"
        " WHERE petition_id = ANY($1::uuid[])",
        list(ids),
    )
    out: dict[uuid.UUID, set[str]] = {}
    for r in rows:
        out.setdefault(r["petition_id"], set()).add(r["threshold"])
    return out


async def insert_thresholds(conn: Connection, rows: Sequence[ThresholdRow]) -> list[ThresholdRow]:
    """Insert reached thresholds; returns those that were not there yet (each fires once)."""
    if not rows:
        return []
    inserted = await conn.fetch(
        """
        INSERT INTO petition_thresholds (petition_id, threshold, required, signatures,
            triggers, reached_at, response_due_at)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::text[],
                             $6::timestamptz[], $7::timestamptz[])
        ON CONFLICT (petition_id, threshold) DO NOTHING
        RETURNING petition_id, threshold
        """,
        [r.petition_id for r in rows],
        [r.threshold for r in rows],
        [r.required for r in rows],
        [r.signatures for r in rows],
        [r.triggers for r in rows],
        [r.reached_at for r in rows],
        [r.response_due_at for r in rows],
    )
    fresh = {(r["petition_id"], r["threshold"]) for r in inserted}
    return [r for r in rows if (r.petition_id, r.threshold) in fresh]


async def true_counts(conn: Connection) -> list[CountDelta]:
    """What the folded counts should be, recomputed from the signatures themselves.

    One statement, so one snapshot: every signature visible now, minus the deltas of
    the queue visible now (committed with their signatures, not folded yet).
    """
    rows = await conn.fetch(
        """
        SELECT petition_id, region, hour, sum(n)::bigint AS n FROM (
            SELECT petition_id, coalesce(region, '') AS region,
                   date_trunc('hour', signed_at, 'UTC') AS hour, count(*) AS n
            FROM signatures GROUP BY 1, 2, 3
            UNION ALL
            SELECT petition_id, region, hour, -sum(delta) FROM fold_queue GROUP BY 1, 2, 3
        ) AS t
        GROUP BY petition_id, region, hour
        """
    )
    return [CountDelta(r["petition_id"], r["region"], r["hour"], r["n"]) for r in rows]


async def stored_counts(
    conn: Connection,
) -> tuple[
    dict[uuid.UUID, int], dict[tuple[uuid.UUID, str], int], dict[tuple[uuid.UUID, datetime], int]
]:
    totals = {
        r["petition_id"]: r["total"]
        for r in await conn.fetch("SELECT petition_id, total FROM petition_counts")
    }
    regions = {
        (r["petition_id"], r["region"]): r["count"]
        for r in await conn.fetch("SELECT petition_id, region, count FROM petition_region_counts")
    }
    hours = {
        (r["petition_id"], r["hour"]): r["count"]
        for r in await conn.fetch("SELECT petition_id, hour, count FROM petition_hour_counts")
    }
    return totals, regions, hours


async def record_recount(
    conn: Connection, started_at: datetime, repairs: list[dict[str, Any]]
) -> int:
    rid: int = await conn.fetchval(
        "INSERT INTO recounts (started_at, repairs) VALUES ($1, $2) RETURNING id",
        started_at,
        json.loads(json.dumps(repairs, default=str)),
    )
    return rid


async def set_totals(conn: Connection, totals: Mapping[uuid.UUID, int]) -> None:
    if totals:
        await conn.execute(
            """
            INSERT INTO petition_counts (petition_id, total, updated_at)
            SELECT id, n, now() FROM unnest($1::uuid[], $2::bigint[]) AS t(id, n)
            ON CONFLICT (petition_id) DO UPDATE SET total = EXCLUDED.total, updated_at = now()
            """,
            list(totals),
            list(totals.values()),
        )


async def set_region_counts(conn: Connection, counts: Mapping[tuple[uuid.UUID, str], int]) -> None:
    if counts:
        await conn.execute(
            """
            INSERT INTO petition_region_counts (petition_id, region, count)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
            ON CONFLICT (petition_id, region) DO UPDATE SET count = EXCLUDED.count
            """,
            [k[0] for k in counts],
            [k[1] for k in counts],
            list(counts.values()),
        )


async def set_hour_counts(
    conn: Connection, counts: Mapping[tuple[uuid.UUID, datetime], int]
) -> None:
    if counts:
        await conn.execute(
            """
            INSERT INTO petition_hour_counts (petition_id, hour, count)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[])
            ON CONFLICT (petition_id, hour) DO UPDATE SET count = EXCLUDED.count
            """,
            [k[0] for k in counts],
            [k[1] for k in counts],
            list(counts.values()),
        )
