"""SQL of channels."""

from __future__ import annotations

from typing import Any

import asyncpg

from petitions.channels.schemas import ChannelCreate, ChannelRead, ChannelWrite
from sawt_shared.db import Connection

__all__ = ["get_channel", "insert_channel", "list_channels", "record_audit", "update_channel"]

_COLUMNS = (
    "slug, name, description, authority, target_organization_id, min_sponsors, max_sponsors,"
    " duration_days, thresholds, signer_assurance, region_restricted, excluded_subjects,"
    " active, version, updated_at"
)


def _read(row: asyncpg.Record) -> ChannelRead:
    return ChannelRead.model_validate(dict(row))


async def get_channel(
    conn: Connection, slug: str, *, for_update: bool = False
) -> ChannelRead | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM channels WHERE slug = $1{lock}", slug)  # noqa: S608 - constant SQL fragments; values are parameters
    return _read(row) if row is not None else None


async def list_channels(conn: Connection, *, include_inactive: bool) -> list[ChannelRead]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM channels WHERE active OR $1 ORDER BY slug",  # noqa: S608
        include_inactive,
    )
    return [_read(r) for r in rows]


def _values(data: ChannelWrite) -> list[Any]:
    return [
        dict(data.name),
        dict(data.description),
        dict(data.authority),
        data.target_organization_id,
        data.min_sponsors,
        data.max_sponsors,
        data.duration_days,
        [t.model_dump() for t in data.thresholds],
        data.signer_assurance,
        data.region_restricted,
        list(data.excluded_subjects),
        data.active,
    ]


async def insert_channel(conn: Connection, data: ChannelCreate) -> ChannelRead | None:
    """The new channel, or ``None`` when the slug is taken."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO channels (slug, name, description, authority, target_organization_id,
            min_sponsors, max_sponsors, duration_days, thresholds, signer_assurance,
            region_restricted, excluded_subjects, active)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (slug) DO NOTHING
        RETURNING {_COLUMNS}
        """,  # noqa: S608 - constant SQL fragments; values are parameters
        data.slug,
        *_values(data),
    )
    return _read(row) if row is not None else None


async def update_channel(conn: Connection, slug: str, data: ChannelWrite) -> ChannelRead:
    row = await conn.fetchrow(
        f"""
        UPDATE channels SET name = $2, description = $3, authority = $4,
            target_organization_id = $5, min_sponsors = $6, max_sponsors = $7,
            duration_days = $8, thresholds = $9, signer_assurance = $10,
            region_restricted = $11, excluded_subjects = $12, active = $13,
            version = version + 1, updated_at = now()
        WHERE slug = $1
        RETURNING {_COLUMNS}
        """,  # noqa: S608 - constant SQL fragments; values are parameters
        slug,
        *_values(data),
    )
    assert row is not None
    return _read(row)


async def record_audit(
    conn: Connection,
    *,
    channel: str,
    action: str,
    actor_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO channel_audit (channel, action, actor_id, before, after)"
        " VALUES ($1, $2, $3, $4, $5)",
        channel,
        action,
        actor_id,
        before,
        after,
    )
