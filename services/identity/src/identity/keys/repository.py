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

    async def active(self) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT kid, alg, public_jwk, private_jwk_encrypted, created_at"
            " FROM signing_keys WHERE retired_at IS NULL"
        )

    async def published(self, now: datetime) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT kid, public_jwk, retired_at, publish_until FROM signing_keys"
            " WHERE retired_at IS NULL OR publish_until > $1 ORDER BY activated_at DESC",
            now,
        )

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT kid, alg, created_at, activated_at, retired_at, publish_until"
            " FROM signing_keys ORDER BY activated_at DESC"
        )

    async def retire_active(self, now: datetime, publish_until: datetime) -> str | None:
        kid: str | None = await self.conn.fetchval(
            "UPDATE signing_keys SET retired_at = $1, publish_until = $2"
            " WHERE retired_at IS NULL RETURNING kid",
            now,
            publish_until,
        )
        return kid

    async def insert(
        self, kid: str, alg: str, public_jwk: dict[str, Any], private_encrypted: bytes
    ) -> None:
        await self.conn.execute(
            "INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_encrypted)"
            " VALUES ($1, $2, $3, $4)",
            kid,
            alg,
            public_jwk,
            private_encrypted,
        )
