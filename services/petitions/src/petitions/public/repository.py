"""SQL of public reads. Counts come from the folded tables, never from scanning signatures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sawt_shared.db import Connection

__all__ = [
    "ListQuery",
    "as_of",
    "channel_name",
    "hourly_counts",
    "list_petitions",
    "organization_name",
    "reached_thresholds",
    "region_counts",
    "responses_of",
    "total_of",
]

#: Signatures in the last 60 minutes, estimated from the current and previous hourly
#: buckets (see ``petitions.counting.rules.trending_score``, which it mirrors).
_TREND = """(
    coalesce(h1.count, 0)
    + coalesce(h0.count, 0)
      * greatest(0.0, 1.0 - extract(epoch FROM (now() - date_trunc('hour', now(), 'UTC'))) / 3600.0)
)::float8"""

_SORTS = {
    "newest": ("coalesce(p.opened_at, p.created_at)", "timestamptz"),
    "signatures": ("coalesce(c.total, 0)", "bigint"),
    "trending": (_TREND, "float8"),
}


@dataclass(frozen=True)
class ListQuery:
    states: Sequence[str]
    channel: str | None = None
    region: str | None = None
    #: Search words, already normalised (see ``petitions.textsearch.search_words``).
    words: Sequence[str] = ()
    sort: str = "newest"
    after: tuple[Any, uuid.UUID] | None = None
    limit: int = 20


async def as_of(conn: Connection) -> datetime:
    """When the counts were last folded."""
    at: datetime = await conn.fetchval("SELECT folded_at FROM fold_state")
    return at


async def list_petitions(conn: Connection, q: ListQuery) -> list[asyncpg.Record]:
    sort_expr, sort_type = _SORTS[q.sort]
    args: list[Any] = [list(q.states)]
    where = ["p.state = ANY($1::text[])"]
    if q.channel is not None:
        args.append(q.channel)
        where.append(f"p.channel = ${len(args)}")
    if q.region is not None:
        args.append(q.region)
        where.append(f"p.region = ${len(args)}")
    for word in q.words:
        # each word: a word of the text starting with it, or a close trigram match
        args += [word + ":*", word]
        a, b = len(args) - 1, len(args)
        where.append(f"(p.search @@ to_tsquery('simple', ${a}) OR ${b} <% p.search_text)")
    if q.after is not None:
        args += [q.after[0], q.after[1]]
        a, b = len(args) - 1, len(args)
        where.append(f"({sort_expr}, p.id) < (${a}::{sort_type}, ${b}::uuid)")
    args.append(q.limit)
    sql = f"""
        SELECT p.id, p.channel, p.state, p.language, p.title, p.subject, p.region,
               p.opened_at, p.closes_at, p.closed_at,
               coalesce(c.total, 0) AS signatures, {_TREND} AS last_hour,
               {sort_expr} AS sort_key
        FROM petitions p
        LEFT JOIN petition_counts c ON c.petition_id = p.id
        LEFT JOIN petition_hour_counts h1
               ON h1.petition_id = p.id AND h1.hour = date_trunc('hour', now(), 'UTC')
        LEFT JOIN petition_hour_counts h0
               ON h0.petition_id = p.id
              AND h0.hour = date_trunc('hour', now(), 'UTC') - interval '1 hour'
        WHERE {" AND ".join(where)}
        ORDER BY sort_key DESC, p.id DESC
        LIMIT ${len(args)}
    """  # noqa: S608 - constant SQL fragments; values are parameters
    return list(await conn.fetch(sql, *args))


async def total_of(conn: Connection, petition_id: uuid.UUID) -> int:
    n = await conn.fetchval("SELECT total FROM petition_counts WHERE petition_id = $1", petition_id)
    return int(n or 0)


async def region_counts(conn: Connection, petition_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT region, count FROM petition_region_counts"
            " WHERE petition_id = $1 AND count <> 0 ORDER BY count DESC, region",
            petition_id,
        )
    )


async def hourly_counts(
    conn: Connection, petition_id: uuid.UUID, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT hour, count FROM petition_hour_counts"
            " WHERE petition_id = $1 AND hour >= $2 AND hour <= $3 ORDER BY hour",
            petition_id,
            start,
            end,
        )
    )


async def reached_thresholds(conn: Connection, petition_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT threshold, reached_at, response_due_at, satisfied_at"
            " FROM petition_thresholds WHERE petition_id = $1",
            petition_id,
        )
    )


async def responses_of(conn: Connection, petition_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT id, kind, decision, organization_id, language, summary, body, responded_at"
            " FROM responses WHERE petition_id = $1 ORDER BY responded_at, id",
            petition_id,
        )
    )


async def channel_name(conn: Connection, slug: str) -> dict[str, str]:
    name = await conn.fetchval("SELECT name FROM channels WHERE slug = $1", slug)
    return dict(name or {})


async def organization_name(conn: Connection, organization_id: uuid.UUID) -> str | None:
    name: str | None = await conn.fetchval(
        "SELECT name FROM organizations WHERE organization_id = $1", organization_id
    )
    return name
