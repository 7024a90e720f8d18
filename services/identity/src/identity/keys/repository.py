"""SQL for signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from sawt_shared.db import Connection

__all__ = ["KeyRepository"]


class KeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def lock(self) -> None:
        """Serialise key changes (rotation, first key) across processes."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity.signing_keys'))")

    async def active(self, now: datetime) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT kid, alg, public_jwk, private_jwk_encrypted, created_at"
            " FROM signing_keys WHERE activated_at <= $1"
            " ORDER BY activated_at DESC, created_at DESC LIMIT 1",
            now,
        )

    async def count(self) -> int:
        count: int = await self.conn.fetchval("SELECT count(*) FROM signing_keys")
        return count

    async def published(self, now: datetime) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT kid, public_jwk, retired_at, publish_until FROM signing_keys"
            " WHERE publish_until IS NULL OR publish_until > $1 ORDER BY activated_at DESC",
            now,
        )

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT kid, alg, created_at, activated_at, retired_at, publish_until"
            " FROM signing_keys ORDER BY activated_at DESC"
        )

    async def drop_pending(self, now: datetime) -> None:
        """Forget keys not yet signing (a rotation replaces an earlier, pending one)."""
        await self.conn.execute("DELETE FROM signing_keys WHERE activated_at > $1", now)

    async def retire_current(self, at: datetime, publish_until: datetime) -> list[str]:
        """Every key still published without end stops signing at ``at``."""
        rows = await self.conn.fetch(
            "UPDATE signing_keys SET retired_at = $1, publish_until = $2"
            " WHERE publish_until IS NULL RETURNING kid",
            at,
            publish_until,
        )
        return [r["kid"] for r in rows]

    async def insert(
        self,
        kid: str,
        alg: str,
        public_jwk: dict[str, Any],
        private_encrypted: bytes,
        activated_at: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_encrypted, activated_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            kid,
            alg,
            public_jwk,
            private_encrypted,
            activated_at,
        )
