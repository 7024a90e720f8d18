"""SQL of petitions, their sponsors and their audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from petitions.channels.rules import ChannelRules
from petitions.lifecycle.rules import AuditEntry, Petition, State
from petitions.textsearch import normalize, search_text, title_text
from sawt_shared.db import Connection

__all__ = [
    "add_sponsor",
    "audit_log",
    "count_signatures",
    "due_to_close",
    "get_petition",
    "insert_petition",
    "is_sponsor",
    "moderation_queue",
    "petitions_of",
    "record_audit",
    "response_kinds",
    "save_petition",
    "similar_petitions",
]

_COLUMNS = """
    id, channel, rules, creator_id, target_organization_id, state, language, title, body,
    subject, region, sponsors, created_at, submitted_at, moderation_requested_at, opened_at,
    closes_at, closed_at, responded_at, rejection_reason, rejection_explanation, hidden_at,
    hidden_from
"""


def to_petition(row: asyncpg.Record) -> Petition:
    return Petition(
        id=row["id"],
        channel=row["channel"],
        rules=ChannelRules.from_json(row["rules"]),
        creator_id=row["creator_id"],
        target_organization_id=row["target_organization_id"],
        state=State(row["state"]),
        language=row["language"],
        title=row["title"],
        body=row["body"],
        subject=row["subject"],
        region=row["region"],
        created_at=row["created_at"],
        sponsors=row["sponsors"],
        submitted_at=row["submitted_at"],
        moderation_requested_at=row["moderation_requested_at"],
        opened_at=row["opened_at"],
        closes_at=row["closes_at"],
        closed_at=row["closed_at"],
        responded_at=row["responded_at"],
        rejection_reason=row["rejection_reason"],
        rejection_explanation=row["rejection_explanation"],
        hidden_at=row["hidden_at"],
        hidden_from=row["hidden_from"],
    )


async def get_petition(
    conn: Connection, petition_id: uuid.UUID, *, for_update: bool = False
) -> Petition | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM petitions WHERE id = $1{lock}", petition_id)  # noqa: S608 - constant SQL fragments; values are parameters
    return to_petition(row) if row is not None else None


async def insert_petition(conn: Connection, p: Petition) -> None:
    await conn.execute(
        """
        INSERT INTO petitions (id, channel, rules, creator_id, target_organization_id, state,
            language, title, body, subject, region, created_at, updated_at, title_text,
            search_text)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)
        """,
        p.id,
        p.channel,
        p.rules.to_json(),
        p.creator_id,
        p.target_organization_id,
        p.state.value,
        p.language,
        p.title,
        p.body,
        p.subject,
        p.region,
        p.created_at,
        title_text(p.title),
        search_text(p.title, p.body),
    )


async def save_petition(conn: Connection, p: Petition) -> None:
    """Write back what the rules may change."""
    await conn.execute(
        """
        UPDATE petitions SET state = $2, title = $3, body = $4, subject = $5, sponsors = $6,
            submitted_at = $7, moderation_requested_at = $8, opened_at = $9, closes_at = $10,
            closed_at = $11, responded_at = $12, rejection_reason = $13,
            rejection_explanation = $14, hidden_at = $15, hidden_from = $16,
            title_text = $17, search_text = $18, updated_at = now()
        WHERE id = $1
        """,
        p.id,
        p.state.value,
        p.title,
        p.body,
        p.subject,
        p.sponsors,
        p.submitted_at,
        p.moderation_requested_at,
        p.opened_at,
        p.closes_at,
        p.closed_at,
        p.responded_at,
        p.rejection_reason,
        p.rejection_explanation,
        p.hidden_at,
        p.hidden_from,
        title_text(p.title),
        search_text(p.title, p.body),
    )


async def record_audit(
    conn: Connection, petition_id: uuid.UUID, entries: Sequence[AuditEntry]
) -> None:
    if not entries:
        return
    await conn.executemany(
        "INSERT INTO petition_audit (petition_id, action, actor_id, actor_role, from_state,"
        " to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (
                petition_id,
                e.action,
                str(e.actor_id) if e.actor_id is not None else None,
                e.actor_role,
                e.from_state,
                e.to_state,
                e.detail,
            )
            for e in entries
        ],
    )


async def audit_log(conn: Connection, petition_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT id, action, actor_id, actor_role, from_state, to_state, detail, at"
            " FROM petition_audit WHERE petition_id = $1 ORDER BY id",
            petition_id,
        )
    )


async def is_sponsor(conn: Connection, petition_id: uuid.UUID, sponsor_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM sponsors WHERE petition_id = $1 AND sponsor_id = $2",
            petition_id,
            sponsor_id,
        )
    )


async def add_sponsor(
    conn: Connection, petition_id: uuid.UUID, sponsor_id: uuid.UUID, region: str | None
) -> bool:
    """Whether the sponsorship is new (a concurrent twin loses the unique race)."""
    row = await conn.fetchval(
        "INSERT INTO sponsors (petition_id, sponsor_id, region) VALUES ($1, $2, $3)"
        " ON CONFLICT (petition_id, sponsor_id) DO NOTHING RETURNING true",
        petition_id,
        sponsor_id,
        region,
    )
    return bool(row)


async def moderation_queue(
    conn: Connection, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Petition]:
    """Petitions awaiting moderation, oldest request first."""
    if after is None:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM petitions WHERE state = 'awaiting_moderation'"  # noqa: S608 - constant SQL fragments; values are parameters
            " ORDER BY moderation_requested_at, id LIMIT $1",
            limit,
        )
    else:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM petitions WHERE state = 'awaiting_moderation'"  # noqa: S608 - constant SQL fragments; values are parameters
            " AND (moderation_requested_at, id) > ($2, $3)"
            " ORDER BY moderation_requested_at, id LIMIT $1",
            limit,
            after[0],
            after[1],
        )
    return [to_petition(r) for r in rows]


async def petitions_of(conn: Connection, creator_id: uuid.UUID) -> list[Petition]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM petitions WHERE creator_id = $1 ORDER BY created_at DESC"  # noqa: S608 - constant SQL fragments; values are parameters
        " LIMIT 200",
        creator_id,
    )
    return [to_petition(r) for r in rows]


async def similar_petitions(
    conn: Connection,
    text: str,
    *,
    min_score: float,
    limit: int = 5,
    exclude: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Public or pending petitions whose title looks like ``text`` (trigram similarity)."""
    query = normalize(text)
    if not query:
        return []
    rows = await conn.fetch(
        """
        SELECT id, channel, state, title, similarity(title_text, $1) AS score
        FROM petitions
        WHERE state IN ('open', 'closed', 'responded', 'debated', 'awaiting_moderation',
                        'collecting_sponsors')
          AND ($4::uuid IS NULL OR id <> $4)
          AND title_text % $1
          AND similarity(title_text, $1) >= $2
        ORDER BY score DESC, id
        LIMIT $3
        """,
        query,
        min_score,
        limit,
        exclude,
    )
    return [dict(r) for r in rows]


async def due_to_close(conn: Connection, now: datetime, limit: int) -> list[Petition]:
    """Open petitions past their closing time, locked; other processes skip them."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM petitions WHERE state = 'open' AND closes_at <= $1"  # noqa: S608 - constant SQL fragments; values are parameters
        " ORDER BY closes_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [to_petition(r) for r in rows]


async def count_signatures(conn: Connection, petition_id: uuid.UUID) -> int:
    """The exact count of a petition's signatures now (used once, when it closes)."""
    n: int = await conn.fetchval(
        "SELECT count(*) FROM signatures WHERE petition_id = $1", petition_id
    )
    return n


async def response_kinds(conn: Connection, petition_id: uuid.UUID) -> set[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT kind FROM responses WHERE petition_id = $1", petition_id
    )
    return {r["kind"] for r in rows}
