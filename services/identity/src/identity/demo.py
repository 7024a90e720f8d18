"""``python -m identity.demo``: demo accounts, organisations and OAuth clients.

Idempotent: run it as often as you like; what exists is left as it is. Every
account and organisation it creates is announced through the outbox like any
other, so the other services learn about them. The credentials are printed, and
listed in docs/identity.md. Never run it against production.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from identity.accounts.passwords import Passwords
from identity.accounts.repository import AccountRepository
from identity.clients.service import grant_types_for
from identity.keys.service import SigningKeys
from identity.oauth.scopes import SCOPES
from identity.settings import IdentitySettings
from identity.tokens import hash_secret
from sawt_shared.db import Connection, create_pool
from sawt_shared.events.identity import (
    OrganizationCreated,
    OrganizationMemberAdded,
    OrganizationVerified,
    UserEmailVerified,
    UserRegistered,
)
from sawt_shared.outbox import Outbox

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "GOV_CLIENT_SECRET", "seed"]

DEMO_PASSWORD = "Sawt demo 2026"  # noqa: S105 - demo accounts only
GOV_CLIENT_SECRET = "demo-gov-secret-not-for-production"  # noqa: S105
WEB_REDIRECTS = ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"]
CIVIC_REDIRECTS = ["http://127.0.0.1:3001/auth/callback"]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    language: str
    region: str
    roles: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@demo.sawt.ma", "Admin Sawt", "fr", "rabat-sale-kenitra", ("admin",)),
    DemoUser("moderator@demo.sawt.ma", "مشرفة صوت", "ar", "casablanca-settat", ("moderator",)),
    DemoUser("amina@demo.sawt.ma", "أمينة", "ar", "souss-massa"),
    DemoUser("youssef@demo.sawt.ma", "Youssef", "fr", "fes-meknes"),
    DemoUser("sara@demo.sawt.ma", "Sara", "en", "oriental"),
    DemoUser("idir@demo.sawt.ma", "Idir", "zgh", "draa-tafilalet"),
    DemoUser("official@demo.sawt.ma", "Fonctionnaire", "fr", "rabat-sale-kenitra"),
)

#: (name, kind, owner email)
DEMO_ORGANIZATIONS: tuple[tuple[str, str, str], ...] = (
    ("Association Tanmia Souss", "association", "youssef@demo.sawt.ma"),
    ("رئاسة الحكومة — Chef du Gouvernement", "public_body", "official@demo.sawt.ma"),
    ("Conseil communal de Tiznit", "public_body", "official@demo.sawt.ma"),
)

_USER_SCOPES = [s for s in SCOPES]


async def _user(
    conn: Connection, outbox: Outbox, passwords: Passwords, demo: DemoUser
) -> uuid.UUID:
    accounts = AccountRepository(conn)
    found = await accounts.by_email(demo.email)
    if found is not None:
        return found.id
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    await accounts.insert(
        user_id=user_id,
        email=demo.email,
        password_hash=passwords.hash(DEMO_PASSWORD),
        display_name=demo.name,
        language=demo.language,
        region=demo.region,
        roles=list(demo.roles),
        verified_at=now,
    )
    await outbox.add(
        conn,
        UserRegistered(
            user_id=user_id,
            email=demo.email,
            display_name=demo.name,
            language=demo.language,
            region=demo.region,
            assurance="email",
        ),
        UserEmailVerified(user_id=user_id, email=demo.email),
    )
    return user_id


async def _organization(
    conn: Connection, outbox: Outbox, name: str, kind: str, owner: uuid.UUID, admin: uuid.UUID
) -> uuid.UUID:
    found = await conn.fetchval("SELECT id FROM organizations WHERE name = $1", name)
    if found is not None:
        return uuid.UUID(str(found))
    org_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO organizations (id, name, kind, created_by, verified_at, verified_by)"
        " VALUES ($1, $2, $3, $4, now(), $5)",
        org_id,
        name,
        kind,
        owner,
        admin,
    )
    await conn.execute(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')",
        org_id,
        owner,
    )
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, object_type, object_id, details)"
        " VALUES ($1, 'organization.verified', 'organization', $2, $3)",
        admin,
        str(org_id),
        {"note": "demo data"},
    )
    await outbox.add(
        conn,
        OrganizationCreated(organization_id=org_id, name=name, kind=kind, created_by=owner),
        OrganizationMemberAdded(organization_id=org_id, user_id=owner, role="owner"),
        OrganizationVerified(organization_id=org_id, name=name, kind=kind, verified_by=admin),
    )
    return org_id


async def _client(
    conn: Connection,
    client_id: str,
    name: str,
    kind: str,
    redirects: list[str],
    scopes: list[str],
    *,
    first_party: bool,
    secret: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO oauth_clients (client_id, name, kind, secret_hash, redirect_uris,"
        " allowed_scopes, grant_types, first_party) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (client_id) DO NOTHING",
        client_id,
        name,
        kind,
        hash_secret(secret) if secret else None,
        redirects,
        scopes,
        grant_types_for(kind, redirects),
        first_party,
    )


async def seed(settings: IdentitySettings) -> dict[str, uuid.UUID]:
    """Create whatever demo data is missing; returns the demo users' ids by email."""
    passwords = Passwords(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    outbox = Outbox(source=settings.service_name, topic_prefix=settings.topic_prefix)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity.demo'))")
            await SigningKeys(conn, settings).ensure_active()
            ids = {u.email: await _user(conn, outbox, passwords, u) for u in DEMO_USERS}
            admin = ids["admin@demo.sawt.ma"]
            for name, kind, owner in DEMO_ORGANIZATIONS:
                await _organization(conn, outbox, name, kind, ids[owner], admin)
            await _client(
                conn, "sawt-web", "Sawt", "public", WEB_REDIRECTS, _USER_SCOPES, first_party=True
            )
            await _client(
                conn,
                "civic-app",
                "Civic App (demo third party)",
                "public",
                CIVIC_REDIRECTS,
                ["openid", "profile", "email", "offline_access", "petitions:sign"],
                first_party=False,
            )
            await _client(
                conn,
                "gov-results",
                "Government results (demo)",
                "confidential",
                [],
                ["results:read", "petitions:respond"],
                first_party=False,
                secret=GOV_CLIENT_SECRET,
            )
        return ids
    finally:
        await pool.close()


def main() -> None:
    settings = IdentitySettings()
    asyncio.run(seed(settings))
    print("Sawt identity demo data is in place.")
    print(f"Every demo account's password: {DEMO_PASSWORD}")
    for user in DEMO_USERS:
        roles = f" ({', '.join(user.roles)})" if user.roles else ""
        print(f"  {user.email:28} {user.language:4} {user.region}{roles}")
    print("OAuth clients:")
    print(f"  sawt-web     public, first party, redirect {', '.join(WEB_REDIRECTS)}")
    print(f"  civic-app    public, asks consent, redirect {', '.join(CIVIC_REDIRECTS)}")
    print(f"  gov-results  confidential, client_credentials, secret {GOV_CLIENT_SECRET}")


if __name__ == "__main__":
    main()
