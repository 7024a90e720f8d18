"""SQL of the identity read model: citizens, organisations, memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from petitions.people.rules import Citizen, Organization, Responder
from sawt_shared.db import Connection

__all__ = [
    "anonymise_citizen",
    "get_citizen",
    "get_citizens",
    "get_organization",
    "get_responder",
    "raise_assurance",
    "remove_member",
    "upsert_citizen",
    "upsert_member",
    "upsert_organization",
]

_SPEAKING_ROLES = ("owner", "editor")


def _citizen(r: asyncpg.Record) -> Citizen:
    return Citizen(
        user_id=r["user_id"],
        region=r["region"],
        assurance=r["assurance"],
        display_name=r["display_name"],
        deleted=r["deleted_at"] is not None,
    )


async def get_citizen(conn: Connection, user_id: uuid.UUID) -> Citizen | None:
    row = await conn.fetchrow(
        "SELECT user_id, region, assurance, display_name, deleted_at FROM citizens"
        " WHERE user_id = $1",
        user_id,
    )
    return _citizen(row) if row is not None else None


async def get_citizens(conn: Connection, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Citizen]:
    rows = await conn.fetch(
        "SELECT user_id, region, assurance, display_name, deleted_at FROM citizens"
        " WHERE user_id = ANY($1::uuid[])",
        list(user_ids),
    )
    return {r["user_id"]: _citizen(r) for r in rows}


async def upsert_citizen(
    conn: Connection,
    *,
    user_id: uuid.UUID,
    region: str,
    display_name: str,
    assurance: str | None,
    at: datetime,
) -> None:
    """Record a registration or a profile update; a deleted account stays deleted.

    The assurance only rises here (a registration replayed after a raise does not
    lower it).
    """
    await conn.execute(
        """
        INSERT INTO citizens (user_id, region, display_name, assurance, updated_at)
        VALUES ($1, $2, $3, coalesce($4, 'none'), $5)
        ON CONFLICT (user_id) DO UPDATE SET
            region = EXCLUDED.region,
            display_name = EXCLUDED.display_name,
            assurance = CASE
                WHEN $4::text IS NULL THEN citizens.assurance
                WHEN array_position(ARRAY['none', 'email', 'eid'], $4::text)
                     > array_position(ARRAY['none', 'email', 'eid'], citizens.assurance)
                THEN $4::text ELSE citizens.assurance END,
            updated_at = EXCLUDED.updated_at
        WHERE citizens.deleted_at IS NULL
        """,
        user_id,
        region,
        display_name,
        assurance,
        at,
    )


async def raise_assurance(
    conn: Connection, *, user_id: uuid.UUID, assurance: str, at: datetime
) -> None:
    """Set the assurance level (never lowering it); an unknown user is recorded without region."""
    await conn.execute(
        """
        INSERT INTO citizens (user_id, assurance, updated_at) VALUES ($1, $2, $3)
        ON CONFLICT (user_id) DO UPDATE SET
            assurance = CASE
                WHEN array_position(ARRAY['none', 'email', 'eid'], EXCLUDED.assurance)
                     > array_position(ARRAY['none', 'email', 'eid'], citizens.assurance)
                THEN EXCLUDED.assurance ELSE citizens.assurance END,
            updated_at = EXCLUDED.updated_at
        WHERE citizens.deleted_at IS NULL
        """,
        user_id,
        assurance,
        at,
    )


async def anonymise_citizen(conn: Connection, user_id: uuid.UUID, at: datetime) -> dict[str, int]:
    """Forget who a deleted user was: their signatures and sponsorships stay, nameless.

    Returns how many rows of each kind lost their link to the person.
    """
    await conn.execute(
        """
        INSERT INTO citizens (user_id, deleted_at, updated_at) VALUES ($1, $2, $2)
        ON CONFLICT (user_id) DO UPDATE SET
            region = NULL, display_name = NULL, deleted_at = $2, updated_at = $2
        """,
        user_id,
        at,
    )
    signatures = await conn.execute(
        "UPDATE signatures SET signer_id = NULL, public_name = NULL, wants_updates = false"
        " WHERE signer_id = $1",
        user_id,
    )
    sponsors = await conn.execute(
        "UPDATE sponsors SET sponsor_id = NULL WHERE sponsor_id = $1", user_id
    )
    await conn.execute("DELETE FROM organization_members WHERE user_id = $1", user_id)
    await conn.execute("DELETE FROM idempotency_keys WHERE user_id = $1", user_id)
    return {"signatures": int(signatures.split()[-1]), "sponsors": int(sponsors.split()[-1])}


async def upsert_organization(
    conn: Connection,
    *,
    organization_id: uuid.UUID,
    name: str,
    kind: str,
    verified: bool,
    at: datetime,
) -> None:
    """Record an organisation; once verified it stays verified."""
    await conn.execute(
        """
        INSERT INTO organizations (organization_id, name, kind, verified, updated_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (organization_id) DO UPDATE SET
            name = EXCLUDED.name,
            kind = EXCLUDED.kind,
            verified = organizations.verified OR EXCLUDED.verified,
            updated_at = EXCLUDED.updated_at
        """,
        organization_id,
        name,
        kind,
        verified,
        at,
    )


async def get_organization(conn: Connection, organization_id: uuid.UUID) -> Organization | None:
    row = await conn.fetchrow(
        "SELECT organization_id, name, kind, verified FROM organizations"
        " WHERE organization_id = $1",
        organization_id,
    )
    if row is None:
        return None
    return Organization(row["organization_id"], row["name"], row["kind"], row["verified"])


async def upsert_member(
    conn: Connection, *, organization_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    await conn.execute(
        "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, $3)"
        " ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role",
        organization_id,
        user_id,
        role,
    )


async def remove_member(
    conn: Connection, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await conn.execute(
        "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
        organization_id,
        user_id,
    )


async def get_responder(conn: Connection, user_id: uuid.UUID) -> Responder:
    """The verified public bodies ``user_id`` may speak for (as owner or editor)."""
    rows = await conn.fetch(
        """
        SELECT m.organization_id FROM organization_members m
        JOIN organizations o USING (organization_id)
        WHERE m.user_id = $1 AND m.role = ANY($2::text[])
          AND o.verified AND o.kind = 'public_body'
        """,
        user_id,
        list(_SPEAKING_ROLES),
    )
    return Responder(user_id, frozenset(r["organization_id"] for r in rows))
