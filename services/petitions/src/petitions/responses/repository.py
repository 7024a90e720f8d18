"""SQL of responses and of the obligations they meet."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from petitions.responses.rules import ReachedThreshold
from sawt_shared.db import Connection
from sawt_shared.i18n import LocalizedText

__all__ = ["insert_response", "overdue_thresholds", "reached_of", "reached_threshold", "satisfy"]


async def insert_response(
    conn: Connection,
    *,
    response_id: uuid.UUID,
    petition_id: uuid.UUID,
    kind: str,
    decision: str | None,
    organization_id: uuid.UUID,
    author_id: uuid.UUID,
    language: str,
    summary: LocalizedText,
    body: LocalizedText,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO responses (id, petition_id, kind, decision, organization_id, author_id,"
        " language, summary, body, responded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        response_id,
        petition_id,
        kind,
        decision,
        organization_id,
        author_id,
        language,
        summary,
        body,
        at,
    )


async def reached_of(conn: Connection, petition_id: uuid.UUID) -> list[ReachedThreshold]:
    rows = await conn.fetch(
        "SELECT petition_id, threshold, triggers, reached_at, response_due_at, satisfied_at"
        " FROM petition_thresholds WHERE petition_id = $1 FOR UPDATE",
        petition_id,
    )
    return [reached_threshold(r) for r in rows]


def reached_threshold(row: asyncpg.Record) -> ReachedThreshold:
    """The obligation a ``petition_thresholds`` row records."""
    return ReachedThreshold(
        row["petition_id"],
        row["threshold"],
        row["triggers"],
        row["reached_at"],
        row["response_due_at"],
        row["satisfied_at"],
    )


async def satisfy(
    conn: Connection,
    petition_id: uuid.UUID,
    names: Sequence[str],
    response_id: uuid.UUID,
    at: datetime,
) -> None:
    if names:
        await conn.execute(
            "UPDATE petition_thresholds SET satisfied_at = $3, response_id = $4"
            " WHERE petition_id = $1 AND threshold = ANY($2::text[]) AND satisfied_at IS NULL",
            petition_id,
            list(names),
            at,
            response_id,
        )


async def overdue_thresholds(conn: Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Reached thresholds past their deadline with no response, most overdue first."""
    return list(
        await conn.fetch(
            """
            SELECT t.petition_id, t.threshold, t.triggers, t.signatures, t.reached_at,
                   t.response_due_at, t.satisfied_at, p.channel, p.title, p.rules,
                   p.target_organization_id, o.name AS target_name
            FROM petition_thresholds t
            JOIN petitions p ON p.id = t.petition_id
            LEFT JOIN organizations o ON o.organization_id = p.target_organization_id
            WHERE t.satisfied_at IS NULL AND t.response_due_at IS NOT NULL
              AND t.response_due_at < $1
              AND p.state <> 'hidden'
            ORDER BY t.response_due_at, t.petition_id
            LIMIT $2
            """,
            now,
            limit,
        )
    )
