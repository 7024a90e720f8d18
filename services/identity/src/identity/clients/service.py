"""Registering OAuth clients: secrets shown once, stored hashed."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg

from identity.clients.schemas import ClientCreate
from identity.oauth.scopes import SCOPES
from identity.tokens import hash_secret, new_secret
from sawt_shared.db import Connection
from sawt_shared.errors import InvalidInput, NotFound

__all__ = ["ClientService", "grant_types_for", "redirect_uri_problem"]


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, or ``None``."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "not a URL"
    if parts.fragment:
        return "has a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return None
    return "must be https (or http on a loopback address)"


def grant_types_for(kind: str, redirect_uris: list[str]) -> list[str]:
    if kind == "public":
        return ["authorization_code", "refresh_token"]
    grants = ["client_credentials"]
    if redirect_uris:
        grants += ["authorization_code", "refresh_token"]
    return grants


class ClientService:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def register(
        self, body: ClientCreate, created_by: uuid.UUID
    ) -> tuple[asyncpg.Record, str | None]:
        unknown = sorted(set(body.allowed_scopes) - set(SCOPES))
        if unknown:
            raise InvalidInput(
                f"Unknown scope(s): {' '.join(unknown)}.", type_slug="unknown-scope", scopes=unknown
            )
        for uri in body.redirect_uris:
            problem = redirect_uri_problem(uri)
            if problem:
                raise InvalidInput(f"{uri}: {problem}.", type_slug="invalid-redirect-uri")
        if body.kind == "public" and not body.redirect_uris:
            raise InvalidInput(
                "A public client needs a redirect URI.", type_slug="invalid-redirect-uri"
            )
        client_id = ("pub_" if body.kind == "public" else "conf_") + secrets.token_urlsafe(12)
        secret = new_secret() if body.kind == "confidential" else None
        row = await self.conn.fetchrow(
            "INSERT INTO oauth_clients (client_id, name, kind, secret_hash, redirect_uris,"
            " allowed_scopes, grant_types, first_party, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            client_id,
            body.name,
            body.kind,
            hash_secret(secret) if secret else None,
            list(dict.fromkeys(body.redirect_uris)),
            list(dict.fromkeys(body.allowed_scopes)),
            grant_types_for(body.kind, body.redirect_uris),
            body.first_party,
            created_by,
        )
        assert row is not None
        await self.conn.execute(
            "INSERT INTO audit_log (actor_id, action, object_type, object_id)"
            " VALUES ($1, 'client.registered', 'client', $2)",
            created_by,
            client_id,
        )
        return row, secret

    async def list_clients(self) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM oauth_clients ORDER BY created_at, client_id")

    async def get(self, client_id: str) -> asyncpg.Record:
        row = await self.conn.fetchrow(
            "SELECT * FROM oauth_clients WHERE client_id = $1", client_id
        )
        if row is None:
            raise NotFound("No such client.", type_slug="client-not-found")
        return row

    async def revoke(self, client_id: str, by: uuid.UUID) -> None:
        await self.get(client_id)
        now = datetime.now(UTC)
        await self.conn.execute(
            "UPDATE oauth_clients SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            client_id,
            now,
        )
        await self.conn.execute(
            "UPDATE oauth_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            client_id,
            now,
        )
        await self.conn.execute(
            "INSERT INTO audit_log (actor_id, action, object_type, object_id)"
            " VALUES ($1, 'client.revoked', 'client', $2)",
            by,
            client_id,
        )
