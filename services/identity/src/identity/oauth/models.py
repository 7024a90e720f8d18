"""The objects Authlib's server core works with: clients, codes, tokens, the subject.

They are plain values loaded from the database before Authlib looks at them; Authlib
only calls their methods."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin  # type: ignore[import-untyped]
from authlib.oidc.core import AuthorizationCodeMixin  # type: ignore[import-untyped]

from identity.accounts.repository import User
from identity.oauth.scopes import UserStanding
from identity.tokens import hash_secret, same_hash

__all__ = ["AuthorizationCode", "Client", "IssuedToken", "PresentedToken", "Subject"]

PUBLIC_AUTH_METHODS = ("none",)
CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    name: str
    kind: Literal["public", "confidential"]
    secret_hash: bytes | None
    redirect_uris: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    grant_types: tuple[str, ...]
    first_party: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Every authorization request must name its redirect URI (exact match).
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        if not scope:
            return " ".join(self.allowed_scopes)
        wanted = [s for s in dict.fromkeys(scope.split()) if s in self.allowed_scopes]
        if not wanted:
            return None
        return " ".join(wanted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return same_hash(self.secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.kind == "public":
            return method in PUBLIC_AUTH_METHODS
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True)
class Subject:
    """The user a grant acts for, with how and when they authenticated."""

    user: User
    standing: UserStanding = field(default_factory=UserStanding)
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()

    def get_user_id(self) -> str:
        return str(self.user.id)


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code_hash: bytes
    family_id: uuid.UUID
    client_id: str
    user_id: uuid.UUID
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: datetime
    amr: tuple[str, ...]
    acr: str | None
    expires_at: datetime
    used_at: datetime | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)

    def is_expired(self) -> bool:
        return self.expires_at <= datetime.now(UTC)


@dataclass(frozen=True)
class IssuedToken:
    """One row of ``oauth_tokens``: an access token (by jti) and maybe a refresh token."""

    id: uuid.UUID
    family_id: uuid.UUID
    client_id: str
    user_id: uuid.UUID | None
    grant_type: str
    scope: str
    access_jti: str
    access_expires_at: datetime
    access_revoked_at: datetime | None
    refresh_expires_at: datetime | None
    rotated_at: datetime | None
    revoked_at: datetime | None
    auth_time: datetime | None
    amr: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> IssuedToken:
        return cls(
            id=row["id"],
            family_id=row["family_id"],
            client_id=row["client_id"],
            user_id=row["user_id"],
            grant_type=row["grant_type"],
            scope=row["scope"],
            access_jti=row["access_jti"],
            access_expires_at=row["access_expires_at"],
            access_revoked_at=row["access_revoked_at"],
            refresh_expires_at=row["refresh_expires_at"],
            rotated_at=row["rotated_at"],
            revoked_at=row["revoked_at"],
            auth_time=row["auth_time"],
            amr=tuple(row["amr"]),
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class PresentedToken(TokenMixin):  # type: ignore[misc]
    """A token a client presented (to refresh, revoke or introspect), and which kind."""

    row: IssuedToken
    kind: Literal["access_token", "refresh_token"]

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def _expires_at(self) -> datetime:
        if self.kind == "access_token":
            return self.row.access_expires_at
        assert self.row.refresh_expires_at is not None
        return self.row.refresh_expires_at

    def get_expires_in(self) -> int:
        return int((self._expires_at() - self.row.created_at).total_seconds())

    def is_expired(self) -> bool:
        return self._expires_at() <= datetime.now(UTC)

    def is_revoked(self) -> bool:
        if self.row.revoked_at is not None:
            return True
        if self.kind == "access_token":
            return self.row.access_revoked_at is not None
        return self.row.rotated_at is not None

    def get_user(self) -> uuid.UUID | None:
        return self.row.user_id

    def get_client(self) -> str:
        return self.row.client_id
