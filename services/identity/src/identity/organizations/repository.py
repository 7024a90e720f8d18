"""SQL for organisations, memberships, invitations and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from identity.oauth.scopes import UserStanding
from sawt_shared.db import Connection

__all__ = ["OrganizationRepository"]


class OrganizationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def insert(
        self, org_id: uuid.UUID, name: str, kind: str, created_by: uuid.UUID | None
    ) -> None:
        await self.conn.execute(
            "INSERT INTO organizations (id, name, kind, created_by) VALUES ($1, $2, $3, $4)",
            org_id,
            name,
            kind,
            created_by,
        )

    async def get(self, org_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(
            f"SELECT id, name, kind, created_by, verified_at, verified_by, created_at"  # noqa: S608
            f" FROM organizations WHERE id = $1{lock}",
            org_id,
        )

    async def list_for(
        self, user_id: uuid.UUID | None, limit: int, after: uuid.UUID | None
    ) -> list[asyncpg.Record]:
        """Organisations of ``user_id`` (all of them when ``None``), by id, after a cursor."""
        return await self.conn.fetch(
            "SELECT o.id, o.name, o.kind, o.created_by, o.verified_at, o.verified_by,"
            " o.created_at, m.role AS my_role FROM organizations o"
            " LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = $1"
            " WHERE ($1::uuid IS NULL OR m.user_id IS NOT NULL)"
            " AND ($2::uuid IS NULL OR o.id > $2) ORDER BY o.id LIMIT $3",
            user_id,
            after,
            limit,
        )

    async def verify(self, org_id: uuid.UUID, by: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE organizations SET verified_at = $2, verified_by = $3 WHERE id = $1",
            org_id,
            now,
            by,
        )

    async def role_of(self, org_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        role: str | None = await self.conn.fetchval(
            "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
            org_id,
            user_id,
        )
        return role

    async def members(self, org_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT m.user_id, u.display_name, m.role, m.created_at FROM memberships m"
            " JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1"
            " ORDER BY m.created_at, m.user_id",
            org_id,
        )

    async def upsert_member(self, org_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
        """Add or change a member; True when something changed."""
        status = await self.conn.execute(
            "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)"
            " ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role"
            " WHERE memberships.role <> EXCLUDED.role",
            org_id,
            user_id,
            role,
        )
        return status.endswith(" 1")

    async def remove_member(self, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        status = await self.conn.execute(
            "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2", org_id, user_id
        )
        return status.endswith(" 1")

    async def owner_count(self, org_id: uuid.UUID) -> int:
        count: int = await self.conn.fetchval(
            "SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'",
            org_id,
        )
        return count

    async def add_invitation(
        self,
        *,
        invitation_id: uuid.UUID,
        org_id: uuid.UUID,
        email_normalized: str,
        role: str,
        token_hash: bytes,
        invited_by: uuid.UUID,
        expires_at: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO invitations (id, organization_id, email_normalized, role, token_hash,"
            " invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            invitation_id,
            org_id,
            email_normalized,
            role,
            token_hash,
            invited_by,
            expires_at,
        )

    async def invitation_by_hash(self, token_hash: bytes) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM invitations WHERE token_hash = $1 FOR UPDATE", token_hash
        )

    async def accept_invitation(
        self, invitation_id: uuid.UUID, by: uuid.UUID, now: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1",
            invitation_id,
            now,
            by,
        )

    async def audit(
        self,
        actor_id: uuid.UUID | None,
        action: str,
        object_type: str,
        object_id: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO audit_log (actor_id, action, object_type, object_id, details)"
            " VALUES ($1, $2, $3, $4, $5)",
            actor_id,
            action,
            object_type,
            object_id,
            details or {},
        )

    async def audit_of(self, object_type: str, object_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT at, actor_id, action, details FROM audit_log"
            " WHERE object_type = $1 AND object_id = $2 ORDER BY id",
            object_type,
            object_id,
        )

    async def standing(self, user_id: uuid.UUID, roles: tuple[str, ...]) -> UserStanding:
        rows = await self.conn.fetch(
            "SELECT DISTINCT m.role FROM memberships m JOIN organizations o"
            " ON o.id = m.organization_id WHERE m.user_id = $1 AND o.verified_at IS NOT NULL",
            user_id,
        )
        return UserStanding(
            roles=frozenset(roles), verified_org_roles=frozenset(r["role"] for r in rows)
        )
