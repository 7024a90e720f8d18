"""Taking due deliveries with a lease: how the mail and webhook senders claim work.

Several sender loops (in several processes) may claim at once: ``FOR UPDATE SKIP
LOCKED`` gives each row to one of them. A claimed row is ``sending`` and comes due
again when its lease runs out, so a sender that dies mid-send loses nothing.
"""

from __future__ import annotations

from typing import Literal

from sawt_shared.db import Connection

__all__ = ["DeliveryTable", "lease_due"]

DeliveryTable = Literal["email_deliveries", "webhook_deliveries"]
_TABLES: frozenset[str] = frozenset({"email_deliveries", "webhook_deliveries"})


async def lease_due(
    conn: Connection, table: DeliveryTable, *, limit: int, lease_seconds: float
) -> list[int]:
    """Lease up to ``limit`` due rows of ``table`` for ``lease_seconds``; their ids."""
    if table not in _TABLES:  # the name goes into SQL: only the two known tables
        raise ValueError(f"not a delivery table: {table}")
    async with conn.transaction():
        rows = await conn.fetch(
            f"""
            WITH due AS (
                SELECT id FROM {table}
                WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {table} d
            SET status = 'sending', attempts = d.attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2)
            FROM due WHERE d.id = due.id
            RETURNING d.id
            """,  # noqa: S608 - the table is one of two constants
            limit,
            lease_seconds,
        )
    return [r["id"] for r in rows]
