"""SQL for users, their email/reset tokens and their login sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sawt_shared.db import Connection

__all__ = ["AccountRepository", "User"]

_USER_COLUMNS = (
    "id, email, email_normalized, email_verified_at, password_hash, display_name, language,"
    " region, assurance, roles, eid_subject_hash, eid_verified_at, created_at, updated_at,"
    " deleted_at"
)


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str | None
    email_verified_at: datetime | None
    password_hash: str | None
    display_name: str
    language: str
    region: str
    assurance: str
    roles: tuple[str, ...]
    has_eid: bool
    eid_verified_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"],
            email=row["email"],
            email_verified_at=row["email_verified_at"],
            password_hash=row["password_hash"],
            display_name=row["display_name"],
            language=row["language"],
            region=row["region"],
            assurance=row["assurance"],
            roles=tuple(row["roles"]),
            has_eid=row["eid_subject_hash"] is not None,
            eid_verified_at=row["eid_verified_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted_at=row["deleted_at"],
        )

    @property
    def active(self) -> bool:
        return self.deleted_at is None

    def get_user_id(self) -> str:
        """For Authlib: the subject of the tokens issued to this user."""
        return str(self.id)


def normalize_email(email: str) -> str:
    return email.strip().lower()


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- users -------------------------------------------------------------

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1{lock}",  # noqa: S608
            user_id,
        )
        return User.from_row(row) if row else None

    async def by_email(self, email: str) -> User | None:
        row = await self.conn.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE email_normalized = $1 AND deleted_at IS NULL",  # noqa: S608
            normalize_email(email),
        )
        return User.from_row(row) if row else None

    async def by_eid(self, subject_hash: bytes) -> User | None:
        row = await self.conn.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE eid_subject_hash = $1 AND deleted_at IS NULL",  # noqa: S608
            subject_hash,
        )
        return User.from_row(row) if row else None

    async def insert(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        password_hash: str | None,
        display_name: str,
        language: str,
        region: str,
        roles: list[str] | None = None,
        verified_at: datetime | None = None,
    ) -> bool:
        """Insert a user; False when the email is taken."""
        status = await self.conn.execute(
            "INSERT INTO users (id, email, email_normalized, password_hash, display_name,"
            " language, region, roles, email_verified_at, assurance)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " CASE WHEN $9::timestamptz IS NULL THEN 'none' ELSE 'email' END)"
            " ON CONFLICT (email_normalized) DO NOTHING",
            user_id,
            email.strip(),
            normalize_email(email),
            password_hash,
            display_name,
            language,
            region,
            roles or [],
            verified_at,
        )
        return status.endswith(" 1")

    async def update_profile(self, user_id: uuid.UUID, changes: dict[str, Any]) -> None:
        allowed = {"display_name", "language", "region"}
        sets = [f"{name} = ${i}" for i, name in enumerate(changes, start=2) if name in allowed]
        if not sets:
            return
        await self.conn.execute(
            f"UPDATE users SET {', '.join(sets)}, updated_at = now() WHERE id = $1",  # noqa: S608
            user_id,
            *[changes[name] for name in changes if name in allowed],
        )

    async def mark_email_verified(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET email_verified_at = $2, updated_at = now(),"
            " assurance = CASE WHEN assurance = 'none' THEN 'email' ELSE assurance END"
            " WHERE id = $1",
            user_id,
            now,
        )

    async def change_email(self, user_id: uuid.UUID, new_email: str, now: datetime) -> bool:
        status = await self.conn.execute(
            "UPDATE users SET email = $2, email_normalized = $3, email_verified_at = $4,"
            " updated_at = now(),"
            " assurance = CASE WHEN assurance = 'none' THEN 'email' ELSE assurance END"
            " WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email_normalized = $3)",
            user_id,
            new_email.strip(),
            normalize_email(new_email),
            now,
        )
        return status.endswith(" 1")

    async def set_password(self, user_id: uuid.UUID, password_hash: str) -> None:
        await self.conn.execute(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
            user_id,
            password_hash,
        )

    async def link_eid(self, user_id: uuid.UUID, subject_hash: bytes, now: datetime) -> bool:
        status = await self.conn.execute(
            "UPDATE users SET eid_subject_hash = $2, eid_verified_at = $3, assurance = 'eid',"
            " updated_at = now() WHERE id = $1"
            " AND NOT EXISTS (SELECT 1 FROM users WHERE eid_subject_hash = $2 AND id <> $1)",
            user_id,
            subject_hash,
            now,
        )
        return status.endswith(" 1")

    async def set_roles(self, user_id: uuid.UUID, roles: list[str]) -> None:
        await self.conn.execute(
            "UPDATE users SET roles = $2, updated_at = now() WHERE id = $1", user_id, roles
        )

    async def anonymise(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET email = NULL, email_normalized = NULL, email_verified_at = NULL,"
            " password_hash = NULL, display_name = '', roles = '{}', eid_subject_hash = NULL,"
            " eid_verified_at = NULL, deleted_at = $2, updated_at = $2 WHERE id = $1",
            user_id,
            now,
        )
        await self.conn.execute("DELETE FROM user_tokens WHERE user_id = $1", user_id)
        await self.conn.execute("DELETE FROM login_sessions WHERE user_id = $1", user_id)
        await self.conn.execute("DELETE FROM eid_logins WHERE user_id = $1", user_id)

    # ---- email and reset tokens -------------------------------------------

    async def add_token(
        self,
        *,
        user_id: uuid.UUID,
        purpose: str,
        token_hash: bytes,
        code_hash: bytes | None,
        expires_at: datetime,
        new_email: str | None = None,
    ) -> uuid.UUID:
        token_id = uuid.uuid4()
        # A new message voids the earlier ones of the same purpose.
        await self.conn.execute(
            "UPDATE user_tokens SET used_at = now()"
            " WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose,
        )
        await self.conn.execute(
            "INSERT INTO user_tokens (id, user_id, purpose, token_hash, code_hash, new_email,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            token_id,
            user_id,
            purpose,
            token_hash,
            code_hash,
            new_email,
            expires_at,
        )
        return token_id

    async def token_by_hash(self, token_hash: bytes, purposes: list[str]) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM user_tokens WHERE token_hash = $1 AND purpose = ANY($2) FOR UPDATE",
            token_hash,
            purposes,
        )

    async def open_token_for_code(self, email: str, purpose: str) -> asyncpg.Record | None:
        if purpose == "change_email":
            return await self.conn.fetchrow(
                "SELECT t.* FROM user_tokens t JOIN users u ON u.id = t.user_id"
                " WHERE lower(t.new_email) = $1 AND t.purpose = 'change_email'"
                " AND t.used_at IS NULL AND u.deleted_at IS NULL"
                " ORDER BY t.created_at DESC LIMIT 1 FOR UPDATE OF t",
                normalize_email(email),
            )
        return await self.conn.fetchrow(
            "SELECT t.* FROM user_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.email_normalized = $1 AND t.purpose = $2 AND t.used_at IS NULL"
            " ORDER BY t.created_at DESC LIMIT 1 FOR UPDATE OF t",
            normalize_email(email),
            purpose,
        )

    async def count_code_attempt(self, token_id: uuid.UUID, void: bool) -> None:
        await self.conn.execute(
            "UPDATE user_tokens SET attempts = attempts + 1,"
            " used_at = CASE WHEN $2 THEN now() ELSE used_at END WHERE id = $1",
            token_id,
            void,
        )

    async def use_token(self, token_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute("UPDATE user_tokens SET used_at = $2 WHERE id = $1", token_id, now)

    async def void_tokens(self, user_id: uuid.UUID, purpose: str) -> None:
        await self.conn.execute(
            "UPDATE user_tokens SET used_at = now()"
            " WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose,
        )

    # ---- sessions ------------------------------------------------------------

    async def add_session(
        self,
        *,
        token_hash: bytes,
        user_id: uuid.UUID,
        amr: list[str],
        auth_time: datetime,
        expires_at: datetime,
    ) -> uuid.UUID:
        session_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO login_sessions (id, token_hash, user_id, amr, auth_time, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            session_id,
            token_hash,
            user_id,
            amr,
            auth_time,
            expires_at,
        )
        return session_id

    async def session(self, token_hash: bytes, now: datetime) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT s.id, s.user_id, s.amr, s.auth_time FROM login_sessions s"
            " JOIN users u ON u.id = s.user_id"
            " WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deleted_at IS NULL",
            token_hash,
            now,
        )

    async def add_session_amr(self, session_id: uuid.UUID, method: str) -> None:
        await self.conn.execute(
            "UPDATE login_sessions SET amr = array_append(amr, $2)"
            " WHERE id = $1 AND NOT ($2 = ANY(amr))",
            session_id,
            method,
        )

    async def delete_session(self, token_hash: bytes) -> None:
        await self.conn.execute("DELETE FROM login_sessions WHERE token_hash = $1", token_hash)

    async def delete_sessions(self, user_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM login_sessions WHERE user_id = $1", user_id)

    # ---- export -------------------------------------------------------------

    async def export_rows(self, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
        queries = {
            "sessions": "SELECT id, amr, auth_time, expires_at, created_at"
            " FROM login_sessions WHERE user_id = $1 ORDER BY created_at",
            "memberships": "SELECT m.organization_id, o.name AS organization_name, m.role,"
            " m.created_at FROM memberships m JOIN organizations o ON o.id = m.organization_id"
            " WHERE m.user_id = $1 ORDER BY m.created_at",
            "organizations_created": "SELECT id, name, kind, verified_at, created_at"
            " FROM organizations WHERE created_by = $1 ORDER BY created_at",
            "authorizations": "SELECT client_id, grant_type, scope, created_at,"
            " access_expires_at, refresh_expires_at, revoked_at FROM oauth_tokens"
            " WHERE user_id = $1 ORDER BY created_at",
            "consents": "SELECT client_id, scopes, granted_at FROM consents"
            " WHERE user_id = $1 ORDER BY granted_at",
            "invitations_sent": "SELECT organization_id, email_normalized AS email, role,"
            " created_at, accepted_at FROM invitations WHERE invited_by = $1",
            "audit": "SELECT at, action, object_type, object_id, details FROM audit_log"
            " WHERE actor_id = $1 OR (object_type = 'user' AND object_id = $1::uuid::text)"
            " ORDER BY at",
            "messages": "SELECT purpose, new_email, expires_at, used_at, created_at"
            " FROM user_tokens WHERE user_id = $1 ORDER BY created_at",
        }
        out: dict[str, list[dict[str, Any]]] = {}
        for name, sql in queries.items():
            out[name] = [dict(r) for r in await self.conn.fetch(sql, user_id)]
        return out
