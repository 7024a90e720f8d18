"""SQL of the in-app feed."""

from __future__ import annotations

import uuid

import asyncpg

from sawt_shared.db import Connection

__all__ = ["count_unread", "latest_id", "list_items", "mark_all_read", "mark_read"]

_ITEM = """
    SELECT f.id, f.created_at, f.read_at, m.kind, m.category, m.params
    FROM feed_items f JOIN messages m ON m.id = f.message_id
"""


async def list_items(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    before: int | None = None,
    after: int | None = None,
    unread_only: bool = False,
    limit: int = 50,
) -> list[asyncpg.Record]:
    """Newest first (``before``), or oldest first after an id (``after``, for streams)."""
    order = "ASC" if after is not None else "DESC"
    rows: list[asyncpg.Record] = await conn.fetch(
        _ITEM
        + f"""
        WHERE f.user_id = $1
          AND ($2::bigint IS NULL OR f.id < $2)
          AND ($3::bigint IS NULL OR f.id > $3)
          AND (NOT $4 OR f.read_at IS NULL)
        ORDER BY f.id {order}
        LIMIT $5
        """,
        user_id,
        before,
        after,
        unread_only,
        limit,
    )
    return rows


async def latest_id(conn: Connection, user_id: uuid.UUID) -> int:
    value: int = await conn.fetchval(
        "SELECT coalesce(max(id), 0) FROM feed_items WHERE user_id = $1", user_id
    )
    return value


async def count_unread(conn: Connection, user_id: uuid.UUID) -> int:
    value: int = await conn.fetchval(
        "SELECT count(*) FROM feed_items WHERE user_id = $1 AND read_at IS NULL", user_id
    )
    return value


async def mark_read(conn: Connection, user_id: uuid.UUID, item_id: int) -> bool:
    """Mark one of the user's items read; ``False`` if it is not theirs (or does not exist)."""
    found = await conn.fetchval(
        """
        UPDATE feed_items SET read_at = coalesce(read_at, now())
        WHERE id = $1 AND user_id = $2 RETURNING true
        """,
        item_id,
        user_id,
    )
    return bool(found)


async def mark_all_read(conn: Connection, user_id: uuid.UUID, up_to: int | None) -> int:
    status: str = await conn.execute(
        """
        UPDATE feed_items SET read_at = now()
        WHERE user_id = $1 AND read_at IS NULL AND ($2::bigint IS NULL OR id <= $2)
        """,
        user_id,
        up_to,
    )
    return int(status.split()[-1])
