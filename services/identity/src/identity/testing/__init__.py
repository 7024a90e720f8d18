"""Test support for the identity service: settings for a test run, and factories that
make users, organisations and tokens straight in the database (fast), for tests of
rules that are not about how those came to be. Used by the service's tests and by
the end-to-end tests; nothing in the service imports it."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from joserfc import jwt
from joserfc.jwk import KeySet

from identity.accounts.passwords import Passwords
from identity.keys.service import SigningKeys
from identity.settings import IdentitySettings
from sawt_shared.testing import StackEnv

__all__ = [
    "FAST_ARGON2",
    "ISSUER",
    "PASSWORD",
    "Factory",
    "UserFixture",
    "link_token",
    "make_settings",
    "run_secret",
]

ISSUER = "https://identity.test"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}


def run_secret(stack: StackEnv) -> str:
    """The server secret of a test run. Every identity process of a run shares one
    database (the end-to-end tests of other modules start identity with its defaults),
    so the tests keep the default secret: keys stored by one process decrypt in all."""
    return str(IdentitySettings.model_fields["secret_key"].default)


def make_settings(database_url: str, stack: StackEnv, **overrides: Any) -> IdentitySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "topic_prefix": stack.topic_prefix,
        "consumer_group_prefix": f"test-{stack.run_id}-",
        "issuer": ISSUER,
        "cookie_secure": False,
        "secret_key": run_secret(stack),
        "log_json": False,
        "log_level": "WARNING",
        "key_rsa_bits": 2048,
        **FAST_ARGON2,
        **overrides,
    }
    return IdentitySettings(**values)


@dataclass
class UserFixture:
    id: uuid.UUID
    email: str
    password: str
    roles: tuple[str, ...] = ()


class Factory:
    """Makes users, organisations and tokens straight in the database (fast), for tests
    of rules that are not about how those came to be."""

    def __init__(self, pool: asyncpg.Pool, settings: IdentitySettings) -> None:
        self.pool = pool
        self.settings = settings
        self._passwords = Passwords(time_cost=1, memory_cost=1024, parallelism=1)
        self._hash = self._passwords.hash(PASSWORD)

    async def user(
        self,
        *,
        roles: tuple[str, ...] = (),
        verified: bool = True,
        language: str = "fr",
        region: str = "casablanca-settat",
        email: str | None = None,
    ) -> UserFixture:
        user_id = uuid.uuid4()
        email = email or f"user-{user_id.hex[:10]}@example.org"
        await self.pool.execute(
            "INSERT INTO users (id, email, email_normalized, password_hash, display_name,"
            " language, region, roles, email_verified_at, assurance)"
            " VALUES ($1, $2, lower($2), $3, $4, $5, $6, $7,"
            " CASE WHEN $8 THEN now() END, CASE WHEN $8 THEN 'email' ELSE 'none' END)",
            user_id,
            email,
            self._hash,
            f"User {user_id.hex[:6]}",
            language,
            region,
            list(roles),
            verified,
        )
        return UserFixture(user_id, email, PASSWORD, roles)

    async def organization(
        self, owner: UserFixture, *, kind: str = "association", verified: bool = False
    ) -> uuid.UUID:
        org_id = uuid.uuid4()
        await self.pool.execute(
            "INSERT INTO organizations (id, name, kind, created_by, verified_at)"
            " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)",
            org_id,
            f"Org {org_id.hex[:6]}",
            kind,
            owner.id,
            verified,
        )
        await self.member(org_id, owner, "owner")
        return org_id

    async def member(self, org_id: uuid.UUID, user: UserFixture, role: str) -> None:
        await self.pool.execute(
            "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)"
            " ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role",
            org_id,
            user.id,
            role,
        )

    async def token(self, user: UserFixture, *scopes: str, client_id: str = "test-client") -> str:
        """An access token as the provider would sign it (active key, at+jwt)."""
        async with self.pool.acquire() as conn:
            await conn.set_type_codec(
                "jsonb",
                encoder=__import__("json").dumps,
                decoder=__import__("json").loads,
                schema="pg_catalog",
            )
            key = await SigningKeys(conn, self.settings).signing_key()
        now = int(time.time())
        claims = {
            "iss": self.settings.issuer,
            "sub": str(user.id),
            "aud": self.settings.access_token_audience,
            "exp": now + 300,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "client_id": client_id,
            "scope": " ".join(scopes),
        }
        return jwt.encode({"alg": "RS256", "typ": "at+jwt"}, claims, KeySet([key]))

    async def bearer(self, user: UserFixture, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(user, *scopes)}"}

    async def events(self, event_type: str, key: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows of ``event_type`` (optionally for one aggregate), as data."""
        rows = await self.pool.fetch(
            "SELECT payload FROM outbox WHERE event_type = $1 AND ($2::text IS NULL OR key = $2)"
            " ORDER BY seq",
            event_type,
            key,
        )
        return [json.loads(bytes(r["payload"])) for r in rows]


def link_token(link: str) -> str:
    """The token of an emailed link (which also carries the reader's language)."""
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token
