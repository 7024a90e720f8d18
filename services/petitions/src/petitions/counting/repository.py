"""SQL of the folded counts, the fold's watermark, thresholds reached and recounts."""

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
    "deltas_between",
    "fold_state",
    "insert_thresholds",
    "petitions_for_thresholds",
    "reached_thresholds",
    "record_recount",
    "save_fold_state",
    "set_hour_counts",
    "set_region_counts",
    "set_totals",
    "snapshot_xmin",
    "stored_counts",
    "true_counts",
    "try_fold_lock",
]

#: The advisory lock only the folding process holds (two int4 keys: class, object).
FOLD_LOCK = (0x5A17, 0x0F01)


@dataclass(frozen=True)
class FoldState:
    watermark: int
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


async def snapshot_xmin(conn: Connection) -> tuple[int, datetime]:
    """The oldest transaction still in flight (every row of an older one is visible now),
    and the transaction's clock."""
    row = await conn.fetchrow(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin, now() AS now"
    )
    assert row is not None
    return row["xmin"], row["now"]


async def fold_state(conn: Connection, *, for_update: bool = False) -> FoldState:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        "SELECT xid_watermark::text::bigint AS watermark, folded_at, signatures_folded,"  # noqa: S608 - constant SQL fragments; values are parameters
        f" last_recount_at FROM fold_state{lock}"
    )
    assert row is not None
    return FoldState(
        row["watermark"], row["folded_at"], row["signatures_folded"], row["last_recount_at"]
    )


async def save_fold_state(
    conn: Connection, watermark: int, *, folded: int, recounted: bool = False
) -> datetime:
    at: datetime = await conn.fetchval(
        """
        UPDATE fold_state SET xid_watermark = $1::text::xid8, folded_at = now(),
            signatures_folded = signatures_folded + $2,
            last_recount_at = CASE WHEN $3 THEN now() ELSE last_recount_at END
        RETURNING folded_at
        """,
        str(watermark),
        folded,
        recounted,
    )
    return at


async def deltas_between(conn: Connection, low: int, high: int) -> list[CountDelta]:
    """Signatures (+1) and withdrawals (-1) written by transactions with ``low <= xid < high``."""
    rows = await conn.fetch(
        """
        SELECT petition_id, region, hour, sum(d)::bigint AS delta FROM (
            SELECT petition_id, coalesce(region, '') AS region,
                   date_trunc('hour', signed_at, 'UTC') AS hour, 1 AS d
            FROM signatures WHERE xid >= $1::text::xid8 AND xid < $2::text::xid8
            UNION ALL
            SELECT petition_id, coalesce(region, ''), date_trunc('hour', signed_at, 'UTC'), -1
            FROM signature_withdrawals WHERE xid >= $1::text::xid8 AND xid < $2::text::xid8
        ) AS d
        GROUP BY petition_id, region, hour
        """,
        str(low),
        str(high),
    )
    return [CountDelta(r["petition_id"], r["region"], r["hour"], r["delta"]) for r in rows]


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


async def true_counts(conn: Connection, watermark: int) -> list[CountDelta]:
    """What the counts should be at ``watermark``, recomputed from the signatures themselves.

    The folded counts hold every signature with ``xid < watermark`` minus every
    withdrawal with ``xid < watermark``. Today's table lacks the signatures withdrawn
    by later transactions (not folded yet), so those are added back from the log.
    """
    rows = await conn.fetch(
        """
        SELECT petition_id, region, hour, sum(n)::bigint AS n FROM (
            SELECT petition_id, coalesce(region, '') AS region,
                   date_trunc('hour', signed_at, 'UTC') AS hour, count(*) AS n
            FROM signatures WHERE xid < $1::text::xid8
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT petition_id, coalesce(region, ''), date_trunc('hour', signed_at, 'UTC'),
                   count(*)
            FROM signature_withdrawals
            WHERE xid >= $1::text::xid8 AND signature_xid < $1::text::xid8
            GROUP BY 1, 2, 3
        ) AS t
        GROUP BY petition_id, region, hour
        """,
        str(watermark),
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
    conn: Connection, started_at: datetime, watermark: int, repairs: list[dict[str, Any]]
) -> int:
    rid: int = await conn.fetchval(
        "INSERT INTO recounts (started_at, watermark, repairs) VALUES ($1, $2::text::xid8, $3)"
        " RETURNING id",
        started_at,
        str(watermark),
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
