"""SQL of messages, email deliveries, feed items and fan-outs.

A delivery row is written before any attempt, unique per (event, recipient): a
redelivered event finds its rows already there and adds nothing. The sender claims
due rows with ``FOR UPDATE SKIP LOCKED`` and a lease (``next_attempt_at`` moved
forward), so several senders share the work and a crashed one's rows come back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from notifications.leasing import lease_due
from notifications.messages.rules import Recipient
from sawt_shared.db import Connection

__all__ = [
    "EMAIL_CHANNEL",
    "FANOUT_CHANNEL",
    "FEED_CHANNEL",
    "ClaimedMail",
    "FanoutBatch",
    "add_feed_item",
    "claim_due_mail",
    "create_fanout",
    "expand_fanout_batch",
    "mark_mail_failed",
    "mark_mail_retry",
    "mark_mail_sent",
    "mark_mail_skipped",
    "next_open_fanout",
    "pending_mail_count",
    "queue_email",
    "save_message",
]

#: NOTIFY channels that wake the workers (and the feed streams) after a commit.
EMAIL_CHANNEL = "sawt_notifications_email"
FANOUT_CHANNEL = "sawt_notifications_fanout"
FEED_CHANNEL = "sawt_notifications_feed"


async def save_message(
    conn: Connection,
    *,
    event_id: uuid.UUID,
    event_type: str,
    kind: str,
    category: str,
    params: Mapping[str, Any],
) -> int:
    """The id of the message ``kind`` of ``event_id``, made if new."""
    message_id: int | None = await conn.fetchval(
        """
        INSERT INTO messages (event_id, event_type, kind, category, params)
        VALUES ($1, $2, $3, $4, $5::jsonb)
        ON CONFLICT (event_id, kind) DO NOTHING
        RETURNING id
        """,
        event_id,
        event_type,
        kind,
        category,
        dict(params),
    )
    if message_id is None:
        message_id = await conn.fetchval(
            "SELECT id FROM messages WHERE event_id = $1 AND kind = $2", event_id, kind
        )
    assert message_id is not None
    return message_id


async def queue_email(
    conn: Connection, *, message_id: int, event_id: uuid.UUID, recipient: Recipient
) -> bool:
    """Record one mail to send; ``False`` when this event already reached this recipient."""
    inserted = await conn.fetchval(
        """
        INSERT INTO email_deliveries (message_id, event_id, recipient, user_id, address, language)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (event_id, recipient) DO NOTHING
        RETURNING true
        """,
        message_id,
        event_id,
        recipient.key,
        recipient.user_id,
        recipient.address,
        recipient.language,
    )
    return bool(inserted)


async def add_feed_item(
    conn: Connection,
    *,
    message_id: int,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    category: str,
) -> bool:
    """Put the message in the user's feed, unless they switched the category off in-app."""
    inserted = await conn.fetchval(
        """
        INSERT INTO feed_items (user_id, event_id, message_id)
        SELECT $1, $2, $3
        WHERE NOT EXISTS (
            SELECT 1 FROM preferences p WHERE p.user_id = $1 AND p.category = $4 AND NOT p.in_app
        ) AND NOT EXISTS (
            SELECT 1 FROM recipients r WHERE r.user_id = $1 AND r.deleted_at IS NOT NULL
        )
        ON CONFLICT (event_id, user_id) DO NOTHING
        RETURNING true
        """,
        user_id,
        event_id,
        message_id,
        category,
    )
    return bool(inserted)


async def create_fanout(conn: Connection, *, message_id: int, petition_id: uuid.UUID) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO fanouts (message_id, petition_id, audience) VALUES ($1, $2, 'followers')
        ON CONFLICT (message_id) DO NOTHING RETURNING true
        """,
        message_id,
        petition_id,
    )
    return bool(inserted)


@dataclass(frozen=True)
class FanoutBatch:
    fanout_id: int
    seen: int
    queued: int
    done: bool


async def next_open_fanout(conn: Connection) -> asyncpg.Record | None:
    """An unfinished fan-out no other worker holds, locked until the transaction ends."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT f.id, f.message_id, f.petition_id, f.position, m.event_id, m.category
        FROM fanouts f JOIN messages m ON m.id = f.message_id
        WHERE f.done_at IS NULL
        ORDER BY f.id
        LIMIT 1
        FOR UPDATE OF f SKIP LOCKED
        """
    )
    return row


async def expand_fanout_batch(
    conn: Connection, fanout: asyncpg.Record, *, batch_size: int, in_feed: bool
) -> FanoutBatch:
    """Queue the next ``batch_size`` followers of the fan-out (in user-id order), in SQL.

    Run in one transaction with :func:`next_open_fanout`; the position moves with the
    rows, so a crash in the middle resumes after the last committed batch.
    """
    row = await conn.fetchrow(
        """
        WITH batch AS (
            SELECT user_id FROM petition_followers
            WHERE petition_id = $1 AND wants_updates AND ($2::uuid IS NULL OR user_id > $2)
            ORDER BY user_id
            LIMIT $3
        ), mails AS (
            INSERT INTO email_deliveries (message_id, event_id, recipient, user_id)
            SELECT $4, $5, b.user_id::text, b.user_id FROM batch b
            ON CONFLICT (event_id, recipient) DO NOTHING
            RETURNING 1
        ), feed AS (
            INSERT INTO feed_items (user_id, event_id, message_id)
            SELECT b.user_id, $5, $4 FROM batch b
            WHERE $6 AND NOT EXISTS (
                SELECT 1 FROM preferences p
                WHERE p.user_id = b.user_id AND p.category = $7 AND NOT p.in_app
            )
            ON CONFLICT (event_id, user_id) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT user_id FROM batch ORDER BY user_id DESC LIMIT 1) AS last,
               (SELECT count(*) FROM batch) AS seen,
               (SELECT count(*) FROM mails) AS queued,
               (SELECT count(*) FROM feed) AS fed
        """,
        fanout["petition_id"],
        fanout["position"],
        batch_size,
        fanout["message_id"],
        fanout["event_id"],
        in_feed,
        fanout["category"],
    )
    assert row is not None
    done = row["seen"] < batch_size
    await conn.execute(
        """
        UPDATE fanouts SET position = coalesce($2, position), queued = queued + $3,
            done_at = CASE WHEN $4 THEN now() END
        WHERE id = $1
        """,
        fanout["id"],
        row["last"],
        row["queued"],
        done,
    )
    return FanoutBatch(fanout["id"], row["seen"], row["queued"], done)


@dataclass(frozen=True)
class ClaimedMail:
    """A delivery claimed for sending, with everything needed to write it."""

    id: int
    event_id: uuid.UUID
    recipient: str
    user_id: uuid.UUID | None
    attempts: int
    kind: str
    category: str
    params: dict[str, Any]
    address: str | None
    language: str | None
    display_name: str
    addressed: bool
    """The event named the address (transactional, sponsor request), not the read model."""
    email_verified: bool
    deleted: bool
    opted_out: bool


async def claim_due_mail(
    conn: Connection, *, limit: int, lease_seconds: float
) -> list[ClaimedMail]:
    """Take up to ``limit`` due deliveries: each is leased for ``lease_seconds``; a delivery
    whose sender died comes due again when its lease runs out."""
    ids = await lease_due(conn, "email_deliveries", limit=limit, lease_seconds=lease_seconds)
    if not ids:
        return []
    rows = await conn.fetch(
        """
        SELECT d.id, d.event_id, d.recipient, d.user_id, d.attempts,
               m.kind, m.category, m.params,
               coalesce(d.address, r.email) AS address,
               coalesce(d.language, r.language) AS language,
               coalesce(nullif(r.display_name, ''), m.params->>'display_name', '') AS display_name,
               d.address IS NOT NULL AS addressed,
               coalesce(r.email_verified, false) AS email_verified,
               r.deleted_at IS NOT NULL AS deleted,
               (EXISTS (
                   SELECT 1 FROM preferences p
                   WHERE p.user_id = d.user_id AND p.category = m.category AND NOT p.email
               ) OR EXISTS (
                   SELECT 1 FROM email_opt_outs o
                   WHERE o.address = lower(coalesce(d.address, r.email)) AND o.category = m.category
               )) AS opted_out
        FROM email_deliveries d
        JOIN messages m ON m.id = d.message_id
        LEFT JOIN recipients r ON r.user_id = d.user_id
        WHERE d.id = ANY($1::bigint[])
        ORDER BY d.id
        """,
        ids,
    )
    return [
        ClaimedMail(
            id=r["id"],
            event_id=r["event_id"],
            recipient=r["recipient"],
            user_id=r["user_id"],
            attempts=r["attempts"],
            kind=r["kind"],
            category=r["category"],
            params=r["params"],
            address=r["address"],
            language=r["language"],
            display_name=r["display_name"],
            addressed=r["addressed"],
            email_verified=r["email_verified"],
            deleted=r["deleted"],
            opted_out=r["opted_out"],
        )
        for r in rows
    ]


async def mark_mail_sent(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(
            """
            UPDATE email_deliveries SET status = 'sent', finished_at = now(), last_error = NULL
            WHERE id = ANY($1::bigint[]) AND status = 'sending'
            """,
            list(ids),
        )


async def mark_mail_skipped(conn: Connection, skipped: Sequence[tuple[int, str]]) -> None:
    if skipped:
        await conn.executemany(
            """
            UPDATE email_deliveries SET status = 'skipped', finished_at = now(), last_error = $2
            WHERE id = $1
            """,
            list(skipped),
        )


async def mark_mail_failed(conn: Connection, failed: Sequence[tuple[int, str]]) -> None:
    if failed:
        await conn.executemany(
            """
            UPDATE email_deliveries SET status = 'failed', finished_at = now(), last_error = $2
            WHERE id = $1
            """,
            list(failed),
        )


async def mark_mail_retry(conn: Connection, retries: Sequence[tuple[int, str, float]]) -> None:
    """Put deliveries back in the queue: ``(id, error, seconds before the next try)``."""
    if retries:
        await conn.executemany(
            """
            UPDATE email_deliveries SET status = 'pending', last_error = $2,
                next_attempt_at = now() + make_interval(secs => $3)
            WHERE id = $1
            """,
            list(retries),
        )


async def pending_mail_count(conn: Connection) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM email_deliveries WHERE status IN ('pending', 'sending')"
    )
    return count
