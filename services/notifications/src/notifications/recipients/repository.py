"""SQL of the read models: recipients (from identity events), petitions and their followers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from notifications.messages.rules import PetitionInfo
from sawt_shared.db import Connection

__all__ = [
    "anonymise_recipient",
    "follow_petition",
    "get_petition",
    "mark_email_verified",
    "save_petition",
    "unfollow_petition",
    "update_profile",
    "upsert_registered",
]


async def upsert_registered(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    email: str,
    display_name: str,
    language: str,
    verified: bool,
) -> None:
    await conn.execute(
        """
        INSERT INTO recipients (user_id, email, display_name, language, email_verified)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (user_id) DO UPDATE SET
            email = EXCLUDED.email,
            display_name = EXCLUDED.display_name,
            language = EXCLUDED.language,
            email_verified = recipients.email_verified OR EXCLUDED.email_verified,
            updated_at = now()
        WHERE recipients.deleted_at IS NULL
        """,
        user_id,
        email,
        display_name,
        language,
        verified,
    )


async def mark_email_verified(conn: Connection, user_id: uuid.UUID, email: str | None) -> None:
    """The user proved they own ``email`` (or, with ``None``, their current address)."""
    await conn.execute(
        """
        INSERT INTO recipients (user_id, email, email_verified) VALUES ($1, $2, true)
        ON CONFLICT (user_id) DO UPDATE SET
            email = coalesce(EXCLUDED.email, recipients.email),
            email_verified = true,
            updated_at = now()
        WHERE recipients.deleted_at IS NULL
        """,
        user_id,
        email,
    )


async def update_profile(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    email: str,
    display_name: str,
    language: str,
) -> None:
    """A profile change; its email is always a verified one."""
    await upsert_registered(
        conn, user_id, email=email, display_name=display_name, language=language, verified=True
    )


async def anonymise_recipient(conn: Connection, user_id: uuid.UUID) -> None:
    """A deleted account: forget the address and name, the feed and the preferences;
    mail not sent yet is skipped. The row stays so that later events find a tombstone."""
    await conn.execute(
        """
        INSERT INTO recipients (user_id, email, display_name, deleted_at)
        VALUES ($1, NULL, '', now())
        ON CONFLICT (user_id) DO UPDATE SET
            email = NULL, display_name = '', email_verified = false,
            deleted_at = now(), updated_at = now()
        """,
        user_id,
    )
    await conn.execute("DELETE FROM feed_items WHERE user_id = $1", user_id)
    await conn.execute("DELETE FROM preferences WHERE user_id = $1", user_id)
    await conn.execute("DELETE FROM petition_followers WHERE user_id = $1", user_id)
    await conn.execute(
        """
        UPDATE email_deliveries SET status = 'skipped', last_error = 'account deleted',
            finished_at = now()
        WHERE user_id = $1 AND status IN ('pending', 'sending')
        """,
        user_id,
    )


async def save_petition(
    conn: Connection,
    petition_id: uuid.UUID,
    *,
    creator_id: uuid.UUID,
    title: Mapping[Any, str],
    language: str | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO petitions (petition_id, creator_id, title, language)
        VALUES ($1, $2, $3::jsonb, coalesce($4, 'ar'))
        ON CONFLICT (petition_id) DO UPDATE SET
            creator_id = EXCLUDED.creator_id,
            title = EXCLUDED.title,
            language = coalesce($4, petitions.language),
            updated_at = now()
        """,
        petition_id,
        creator_id,
        dict(title),
        language,
    )


async def get_petition(conn: Connection, petition_id: uuid.UUID) -> PetitionInfo | None:
    row = await conn.fetchrow(
        "SELECT petition_id, creator_id, title, language FROM petitions WHERE petition_id = $1",
        petition_id,
    )
    if row is None:
        return None
    return PetitionInfo(row["petition_id"], row["creator_id"], row["title"], row["language"])


async def follow_petition(
    conn: Connection, petition_id: uuid.UUID, user_id: uuid.UUID, *, wants_updates: bool
) -> None:
    await conn.execute(
        """
        INSERT INTO petition_followers (petition_id, user_id, wants_updates) VALUES ($1, $2, $3)
        ON CONFLICT (petition_id, user_id) DO UPDATE SET wants_updates = EXCLUDED.wants_updates
        """,
        petition_id,
        user_id,
        wants_updates,
    )


async def unfollow_petition(conn: Connection, petition_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await conn.execute(
        "DELETE FROM petition_followers WHERE petition_id = $1 AND user_id = $2",
        petition_id,
        user_id,
    )
