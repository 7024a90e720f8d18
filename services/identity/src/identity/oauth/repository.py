"""SQL for OAuth clients, authorization codes and issued tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from identity.oauth.models import AuthorizationCode, Client, IssuedToken
from sawt_shared.db import Connection

__all__ = ["OAuthRepository", "client_from_row"]


def client_from_row(row: asyncpg.Record) -> Client:
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        kind=row["kind"],
        secret_hash=row["secret_hash"],
        redirect_uris=tuple(row["redirect_uris"]),
        allowed_scopes=tuple(row["allowed_scopes"]),
        grant_types=tuple(row["grant_types"]),
        first_party=row["first_party"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class OAuthRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- clients -----------------------------------------------------------

    async def client(self, client_id: str) -> Client | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM oauth_clients WHERE client_id = $1 AND revoked_at IS NULL", client_id
        )
        return client_from_row(row) if row else None

    # ---- codes ---------------------------------------------------------------

    async def save_code(self, code: AuthorizationCode) -> None:
        await self.conn.execute(
            "INSERT INTO authorization_codes (code_hash, family_id, client_id, user_id,"
            " redirect_uri, scope, nonce, code_challenge, code_challenge_method, auth_time,"
            " amr, acr, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
            " $13)",
            code.code_hash,
            code.family_id,
            code.client_id,
            code.user_id,
            code.redirect_uri,
            code.scope,
            code.nonce,
            code.code_challenge,
            code.code_challenge_method,
            code.auth_time,
            list(code.amr),
            code.acr,
            code.expires_at,
        )

    async def code_for_update(self, code_hash: bytes) -> AuthorizationCode | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM authorization_codes WHERE code_hash = $1 FOR UPDATE", code_hash
        )
        if row is None:
            return None
        return AuthorizationCode(
            code_hash=row["code_hash"],
            family_id=row["family_id"],
            client_id=row["client_id"],
            user_id=row["user_id"],
            redirect_uri=row["redirect_uri"],
            scope=row["scope"],
            nonce=row["nonce"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            auth_time=row["auth_time"],
            amr=tuple(row["amr"]),
            acr=row["acr"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )

    async def use_code(self, code_hash: bytes, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1", code_hash, now
        )

    async def nonce_used(self, client_id: str, nonce: str) -> bool:
        found: bool = await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM authorization_codes WHERE client_id = $1 AND nonce = $2)",
            client_id,
            nonce,
        )
        return found

    # ---- tokens ----------------------------------------------------------------

    async def save_token(
        self,
        *,
        family_id: uuid.UUID,
        client_id: str,
        user_id: uuid.UUID | None,
        grant_type: str,
        scope: str,
        access_jti: str,
        access_expires_at: datetime,
        refresh_token_hash: bytes | None,
        refresh_expires_at: datetime | None,
        auth_time: datetime | None,
        amr: list[str],
    ) -> uuid.UUID:
        token_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO oauth_tokens (id, family_id, client_id, user_id, grant_type, scope,"
            " access_jti, access_expires_at, refresh_token_hash, refresh_expires_at, auth_time,"
            " amr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            token_id,
            family_id,
            client_id,
            user_id,
            grant_type,
            scope,
            access_jti,
            access_expires_at,
            refresh_token_hash,
            refresh_expires_at,
            auth_time,
            amr,
        )
        return token_id

    async def by_refresh_hash(self, token_hash: bytes) -> IssuedToken | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM oauth_tokens WHERE refresh_token_hash = $1 FOR UPDATE", token_hash
        )
        return IssuedToken.from_row(row) if row else None

    async def by_jti(self, jti: str) -> IssuedToken | None:
        row = await self.conn.fetchrow("SELECT * FROM oauth_tokens WHERE access_jti = $1", jti)
        return IssuedToken.from_row(row) if row else None

    async def mark_rotated(self, token_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE oauth_tokens SET rotated_at = $2 WHERE id = $1", token_id, now
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        status = await self.conn.execute(
            "UPDATE oauth_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )
        return int(status.split()[-1])

    async def revoke_access(self, token_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE oauth_tokens SET access_revoked_at = $2 WHERE id = $1", token_id, now
        )
