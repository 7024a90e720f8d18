"""SQL of remembered consents."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sawt_shared.db import Connection

__all__ = ["Consent", "ConsentRepository"]


@dataclass(frozen=True)
class Consent:
    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    granted_at: datetime


class ConsentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def allowed(self, user_id: uuid.UUID, client_id: str) -> frozenset[str] | None:
        """The scopes the user allowed ``client_id``, or ``None`` if never asked."""
        scopes = await self._conn.fetchval(
            "SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2",
            user_id,
            client_id,
        )
        return frozenset(scopes) if scopes is not None else None

    async def grant(self, user_id: uuid.UUID, client_id: str, scopes: Iterable[str]) -> None:
        """Remember ``scopes`` for the client, beside what was allowed before."""
        await self._conn.execute(
            "INSERT INTO consents (user_id, client_id, scopes) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id, client_id) DO UPDATE SET granted_at = now(),"
            " scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || excluded.scopes)"
            " ORDER BY 1)",
            user_id,
            client_id,
            sorted(set(scopes)),
        )

    async def of_user(self, user_id: uuid.UUID) -> list[Consent]:
        rows = await self._conn.fetch(
            "SELECT c.client_id, o.name, c.scopes, c.granted_at FROM consents c"
            " JOIN oauth_clients o USING (client_id) WHERE c.user_id = $1"
            " ORDER BY c.granted_at DESC",
            user_id,
        )
        return [
            Consent(r["client_id"], r["name"], tuple(r["scopes"]), r["granted_at"]) for r in rows
        ]

    async def withdraw(self, user_id: uuid.UUID, client_id: str) -> bool:
        """Forget the consent and end the client's tokens for this user; whether one existed."""
        removed = await self._conn.fetchval(
            "DELETE FROM consents WHERE user_id = $1 AND client_id = $2 RETURNING true",
            user_id,
            client_id,
        )
        await self._conn.execute(
            "UPDATE oauth_tokens SET revoked_at = now(), access_revoked_at = now()"
            " WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL",
            user_id,
            client_id,
        )
        return bool(removed)
