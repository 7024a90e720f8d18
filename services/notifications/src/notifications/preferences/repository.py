"""SQL of preferences and of address opt-outs."""

from __future__ import annotations

import uuid

from sawt_shared.db import Connection

__all__ = ["opt_out_address", "read_preferences", "save_preference"]


async def read_preferences(conn: Connection, user_id: uuid.UUID) -> dict[str, tuple[bool, bool]]:
    rows = await conn.fetch(
        "SELECT category, email, in_app FROM preferences WHERE user_id = $1", user_id
    )
    return {r["category"]: (r["email"], r["in_app"]) for r in rows}


async def save_preference(
    conn: Connection,
    user_id: uuid.UUID,
    category: str,
    *,
    email: bool | None,
    in_app: bool | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO preferences (user_id, category, email, in_app)
        VALUES ($1, $2, coalesce($3, true), coalesce($4, true))
        ON CONFLICT (user_id, category) DO UPDATE SET
            email = coalesce($3, preferences.email),
            in_app = coalesce($4, preferences.in_app),
            updated_at = now()
        """,
        user_id,
        category,
        email,
        in_app,
    )


async def opt_out_address(conn: Connection, address: str, category: str) -> None:
    await conn.execute(
        """
        INSERT INTO email_opt_outs (address, category) VALUES (lower($1), $2)
        ON CONFLICT DO NOTHING
        """,
        address,
        category,
    )
