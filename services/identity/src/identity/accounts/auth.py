"""Who is calling: the user behind an access token, or behind the session cookie."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from identity.accounts.repository import AccountRepository, User
from identity.bootstrap import IdentityDep
from identity.tokens import hash_secret
from sawt_shared.auth import AccessToken, Token
from sawt_shared.db import Connection, DbConnection, DbTransaction
from sawt_shared.errors import Forbidden, Unauthorized

__all__ = [
    "Actor",
    "SessionInfo",
    "require_user",
    "session_of",
]


@dataclass(frozen=True)
class Actor:
    """A signed-in user acting through an access token."""

    user: User
    token: AccessToken

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    def has_role(self, role: str) -> bool:
        return role in self.user.roles


async def _load_actor(conn: Connection, token: AccessToken, scopes: tuple[str, ...]) -> Actor:
    missing = sorted(token.missing_scopes(scopes))
    if missing:
        raise Forbidden(
            f"The access token lacks the scope(s): {' '.join(missing)}.",
            type_slug="insufficient-scope",
            title="The access token does not grant this",
            missing_scopes=missing,
            required_scopes=list(scopes),
        )
    try:
        user_id = uuid.UUID(token.subject)
    except ValueError:
        raise Forbidden(
            "This endpoint acts for a user; a client's own token cannot call it.",
            type_slug="user-token-required",
        ) from None
    user = await AccountRepository(conn).get(user_id)
    if user is None or not user.active:
        raise Unauthorized("The account of this token no longer exists.", type_slug="account-gone")
    return Actor(user, token)


def require_user(*scopes: str, write: bool = False) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the user of the bearer token, which must grant ``scopes``."""

    if write:

        async def actor_tx(token: Token, conn: DbTransaction) -> Actor:
            return await _load_actor(conn, token, scopes)

        return actor_tx

    async def actor(token: Token, conn: DbConnection) -> Actor:
        return await _load_actor(conn, token, scopes)

    return actor


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    user_id: uuid.UUID
    amr: tuple[str, ...]
    auth_time: datetime
    token: str


async def session_of(request: Request, conn: Connection, cookie_name: str) -> SessionInfo | None:
    """The hosted-login session of the request's cookie, if it is valid."""
    token = request.cookies.get(cookie_name)
    if not token:
        return None
    row = await AccountRepository(conn).session(hash_secret(token), datetime.now(UTC))
    if row is None:
        return None
    return SessionInfo(row["id"], row["user_id"], tuple(row["amr"]), row["auth_time"], token)


async def _optional_session(
    request: Request, identity: IdentityDep, conn: DbTransaction
) -> SessionInfo | None:
    return await session_of(request, conn, identity.settings.session_cookie_name)


OptionalSession = Annotated[SessionInfo | None, Depends(_optional_session)]
