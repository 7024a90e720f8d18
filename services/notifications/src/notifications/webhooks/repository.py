"""SQL of webhook endpoints, their secrets, deliveries and attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from notifications.leasing import lease_due
from sawt_shared.db import Connection

__all__ = [
    "WEBHOOK_CHANNEL",
    "active_secrets",
    "add_secret",
    "claim_due_deliveries",
    "create_endpoint",
    "delete_endpoint",
    "disable_endpoint",
    "find_by_idempotency_key",
    "get_endpoint",
    "list_attempts",
    "list_deliveries",
    "list_endpoints",
    "queue_deliveries",
    "record_attempt",
    "retire_secrets",
    "update_endpoint",
]

WEBHOOK_CHANNEL = "sawt_notifications_webhook"


async def create_endpoint(
    conn: Connection,
    *,
    endpoint_id: uuid.UUID,
    owner: str,
    url: str,
    description: str,
    event_types: Sequence[str],
    idempotency_key: str | None,
) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        INSERT INTO webhook_endpoints (id, owner, url, description, event_types, idempotency_key)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, owner, url, description, event_types, enabled, disabled_reason, disabled_at,
               failing_since, created_at, updated_at
        """,
        endpoint_id,
        owner,
        url,
        description,
        list(event_types),
        idempotency_key,
    )
    assert row is not None
    return row


async def find_by_idempotency_key(
    conn: Connection, owner: str, idempotency_key: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT id, owner, url, description, event_types, enabled, disabled_reason, disabled_at,
               failing_since, created_at, updated_at FROM webhook_endpoints
        WHERE owner = $1 AND idempotency_key = $2
        """,
        owner,
        idempotency_key,
    )
    return row


async def get_endpoint(
    conn: Connection, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    if for_update:
        row: asyncpg.Record | None = await conn.fetchrow(
            """
            SELECT id, owner, url, description, event_types, enabled, disabled_reason,
                   disabled_at, failing_since, created_at, updated_at
            FROM webhook_endpoints WHERE id = $1 FOR UPDATE
            """,
            endpoint_id,
        )
    else:
        row = await conn.fetchrow(
            """
            SELECT id, owner, url, description, event_types, enabled, disabled_reason,
                   disabled_at, failing_since, created_at, updated_at
            FROM webhook_endpoints WHERE id = $1
            """,
            endpoint_id,
        )
    return row


async def list_endpoints(
    conn: Connection, owner: str, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT id, owner, url, description, event_types, enabled, disabled_reason, disabled_at,
               failing_since, created_at, updated_at FROM webhook_endpoints
        WHERE owner = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
        ORDER BY created_at, id
        LIMIT $4
        """,
        owner,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return rows


async def update_endpoint(
    conn: Connection, endpoint_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    """Apply ``changes`` (url, description, event_types, enabled); enabling clears the
    disabled state and the failure streak."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        UPDATE webhook_endpoints SET
            url = coalesce($2, url),
            description = coalesce($3, description),
            event_types = coalesce($4, event_types),
            enabled = coalesce($5, enabled),
            disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
            disabled_at = CASE WHEN $5 THEN NULL ELSE disabled_at END,
            failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END,
            updated_at = now()
        WHERE id = $1
        RETURNING id, owner, url, description, event_types, enabled, disabled_reason, disabled_at,
               failing_since, created_at, updated_at
        """,
        endpoint_id,
        changes.get("url"),
        changes.get("description"),
        changes.get("event_types"),
        changes.get("enabled"),
    )
    assert row is not None
    return row


async def delete_endpoint(conn: Connection, endpoint_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM webhook_endpoints WHERE id = $1", endpoint_id)


async def disable_endpoint(
    conn: Connection, endpoint_id: uuid.UUID, reason: str
) -> asyncpg.Record | None:
    """Disable the endpoint (once) and cancel its queued deliveries; ``None`` if it was
    already disabled."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2,
            disabled_at = now(), updated_at = now()
        WHERE id = $1 AND enabled
        RETURNING id, owner, url, description, event_types, enabled, disabled_reason, disabled_at,
               failing_since, created_at, updated_at
        """,
        endpoint_id,
        reason,
    )
    if row is not None:
        await conn.execute(
            """
            UPDATE webhook_deliveries SET status = 'cancelled', finished_at = now(),
                last_error = 'endpoint disabled'
            WHERE endpoint_id = $1 AND status IN ('pending', 'sending')
            """,
            endpoint_id,
        )
    return row


async def add_secret(conn: Connection, endpoint_id: uuid.UUID, secret: str) -> None:
    await conn.execute(
        "INSERT INTO webhook_secrets (endpoint_id, secret) VALUES ($1, $2)", endpoint_id, secret
    )


async def retire_secrets(conn: Connection, endpoint_id: uuid.UUID, overlap_seconds: float) -> None:
    """Secrets in use keep signing for ``overlap_seconds`` more, then stop."""
    await conn.execute(
        """
        UPDATE webhook_secrets SET expires_at = now() + make_interval(secs => $2)
        WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $2))
        """,
        endpoint_id,
        overlap_seconds,
    )
    await conn.execute(
        "DELETE FROM webhook_secrets WHERE endpoint_id = $1 AND expires_at < now()", endpoint_id
    )


async def active_secrets(conn: Connection, endpoint_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT secret, created_at, expires_at FROM webhook_secrets
        WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > now())
        ORDER BY id DESC
        """,
        endpoint_id,
    )
    return rows


async def queue_deliveries(
    conn: Connection, *, event_id: uuid.UUID, webhook_type: str, payload: str
) -> int:
    """One delivery per enabled endpoint that wants ``webhook_type``; redelivery adds none."""
    status: str = await conn.execute(
        """
        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
        SELECT id, $1, $2, $3 FROM webhook_endpoints
        WHERE enabled AND event_types @> ARRAY[$2]::text[]
        ON CONFLICT (event_id, endpoint_id) DO NOTHING
        """,
        event_id,
        webhook_type,
        payload,
    )
    return int(status.split()[-1])


async def claim_due_deliveries(
    conn: Connection, *, limit: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """Take due deliveries (leased), with their endpoint and its active secrets."""
    ids = await lease_due(conn, "webhook_deliveries", limit=limit, lease_seconds=lease_seconds)
    if not ids:
        return []
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts,
               e.url, e.enabled, e.owner, e.failing_since,
               ARRAY(
                   SELECT s.secret FROM webhook_secrets s
                   WHERE s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > now())
                   ORDER BY s.id DESC
               ) AS secrets
        FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.id = ANY($1::bigint[])
        ORDER BY d.id
        """,
        ids,
    )
    return rows


async def record_attempt(
    conn: Connection,
    *,
    delivery_id: int,
    endpoint_id: uuid.UUID,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    outcome: str,
    retry_in: float | None,
) -> datetime | None:
    """Log one try and move the delivery on: ``succeeded``, ``failed``, or ``pending``
    again in ``retry_in`` seconds. Returns the endpoint's ``failing_since`` afterwards."""
    await conn.execute(
        """
        INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
        VALUES ($1, $2, $3, $4)
        """,
        delivery_id,
        status_code,
        error,
        duration_ms,
    )
    await conn.execute(
        """
        UPDATE webhook_deliveries SET
            status = $2,
            last_status = $3,
            last_error = $4,
            next_attempt_at = CASE WHEN $2 = 'pending'
                THEN now() + make_interval(secs => $5) ELSE next_attempt_at END,
            finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
        WHERE id = $1 AND status = 'sending'
        """,
        delivery_id,
        outcome,
        status_code,
        error,
        retry_in or 0.0,
    )
    failing_since: datetime | None = await conn.fetchval(
        """
        UPDATE webhook_endpoints SET failing_since = CASE
            WHEN $2 THEN NULL ELSE coalesce(failing_since, now()) END
        WHERE id = $1
        RETURNING failing_since
        """,
        endpoint_id,
        outcome == "succeeded",
    )
    return failing_since


async def list_deliveries(
    conn: Connection, endpoint_id: uuid.UUID, *, before: int | None, limit: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT id, event_id, event_type, status, attempts, last_status, last_error,
               created_at, finished_at, next_attempt_at
        FROM webhook_deliveries
        WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2)
        ORDER BY id DESC
        LIMIT $3
        """,
        endpoint_id,
        before,
        limit,
    )
    return rows


async def list_attempts(
    conn: Connection, endpoint_id: uuid.UUID, delivery_id: int
) -> list[asyncpg.Record] | None:
    """The tries of one delivery of ``endpoint_id``; ``None`` if it is not one of its own."""
    owned = await conn.fetchval(
        "SELECT true FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2",
        delivery_id,
        endpoint_id,
    )
    if not owned:
        return None
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT id, attempted_at, status_code, error, duration_ms FROM webhook_attempts
        WHERE delivery_id = $1 ORDER BY id
        """,
        delivery_id,
    )
    return rows
