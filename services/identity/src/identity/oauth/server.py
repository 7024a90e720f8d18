"""Sawt's authorization server: Authlib's grants and endpoints, wired to our storage.

- authorization code with PKCE (S256 only, required for every client), with the
  OpenID Connect extension (id_token when ``openid`` is granted);
- refresh tokens, rotated at every use; a refresh token used twice revokes its whole
  family (every token descending from the same authorization);
- client credentials for confidential clients, limited to their allowed scopes;
- revocation (RFC 7009) and introspection (RFC 7662);
- access tokens are RFC 9068 JWTs (``typ: at+jwt``) signed with the active key.
No implicit grant and no password grant are registered.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import InvalidRequestError  # type: ignore[import-untyped]
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oidc.core import UserInfo  # type: ignore[import-untyped]
from authlib.oidc.core.grants import OpenIDCode  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from identity.accounts.repository import AccountRepository
from identity.oauth.bridge import BridgedServer
from identity.oauth.models import (
    AuthorizationCode,
    Client,
    IssuedToken,
    PresentedToken,
    Subject,
)
from identity.oauth.repository import OAuthRepository
from identity.oauth.scopes import SCOPES, permitted_scopes
from identity.settings import IdentitySettings
from identity.tokens import hash_secret, new_secret
from sawt_shared.db import Connection

__all__ = ["SawtAuthorizationServer", "user_claims"]

_log = logging.getLogger("identity.oauth")
_CONFIDENTIAL = ["client_secret_basic", "client_secret_post"]
_ANY = [*_CONFIDENTIAL, "none"]


def user_claims(subject: Subject, scope: str) -> dict[str, Any]:
    """OpenID Connect claims of ``subject`` for ``scope`` (id_token and userinfo)."""
    user = subject.user
    scopes = set(scope.split())
    info: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        info["name"] = user.display_name
        info["locale"] = user.language
        info["sawt_region"] = user.region
        info["sawt_assurance"] = user.assurance
        info["updated_at"] = int(user.updated_at.timestamp())
    if "email" in scopes and user.email:
        info["email"] = user.email
        info["email_verified"] = user.email_verified_at is not None
    return info


@dataclass
class _Context:
    conn: Connection
    settings: IdentitySettings
    signing_key: RSAKey
    public_keys: KeySet
    last_jti: str | None = None


class _TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, ctx: _Context) -> None:
        super().__init__(
            issuer=ctx.settings.issuer,
            alg="RS256",
            refresh_token_generator=lambda **_: new_secret(),
            expires_generator=lambda client, grant_type: ctx.settings.access_token_ttl,
        )
        self.ctx = ctx

    def get_jwks(self) -> KeySet:
        return KeySet([self.ctx.signing_key])

    def get_audiences(self, client: Client, user: Any, scope: str) -> str:
        return self.ctx.settings.access_token_audience

    def get_jti(self, client: Client, grant_type: str, user: Any, scope: str) -> str:
        self.ctx.last_jti = uuid.uuid4().hex
        return self.ctx.last_jti

    def get_auth_time(self, user: Any) -> int | None:
        if isinstance(user, Subject) and user.auth_time is not None:
            return int(user.auth_time.timestamp())
        return None

    def get_amr(self, user: Any) -> list[str] | None:
        if isinstance(user, Subject) and user.amr:
            return list(user.amr)
        return None


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, and only with S256."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256."
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, server: SawtAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return self.server.call(self.server.oauth.nonce_used, request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: Client) -> KeySet:
        return KeySet([self.server.ctx.signing_key])

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return {
            "iss": self.server.ctx.settings.issuer,
            "aud": [client.get_client_id()],
            "exp": int(time.time()) + self.server.ctx.settings.id_token_ttl,
        }

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.server.ctx.signing_key.kid)}

    def generate_user_info(self, user: Subject, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _ANY
    server: SawtAuthorizationServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        subject: Subject = request.user
        scope = " ".join(permitted_scopes((request.scope or "").split(), subject.standing))
        data = request.payload.data
        now = datetime.now(UTC)
        record = AuthorizationCode(
            code_hash=hash_secret(code),
            family_id=uuid.uuid4(),
            client_id=request.client.get_client_id(),
            user_id=subject.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=scope,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method", "S256"),
            auth_time=subject.auth_time or now,
            amr=subject.amr,
            acr=None,
            expires_at=now + timedelta(seconds=self.server.ctx.settings.authorization_code_ttl),
            used_at=None,
        )
        self.server.call(self.server.oauth.save_code, record)

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        found = self.server.call(self.server.oauth.code_for_update, hash_secret(code))
        if found is None or found.client_id != client.get_client_id():
            return None
        if found.used_at is not None:
            # A code used twice: revoke whatever the first use obtained (RFC 6749 §4.1.2).
            _log.warning("authorization code reused; revoking its tokens")
            self.server.call(self.server.oauth.revoke_family, found.family_id, datetime.now(UTC))
            return None
        if found.is_expired():
            return None
        return found

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.server.call(
            self.server.oauth.use_code, authorization_code.code_hash, datetime.now(UTC)
        )

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Subject | None:
        return self.server.subject(
            authorization_code.user_id, authorization_code.auth_time, authorization_code.amr
        )


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _ANY
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: SawtAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> PresentedToken | None:
        row: IssuedToken | None = self.server.call(
            self.server.oauth.by_refresh_hash, hash_secret(refresh_token)
        )
        if row is None or row.revoked_at is not None:
            return None
        if row.rotated_at is not None:
            # Reuse of a rotated refresh token: someone holds a stolen copy. End the family.
            _log.warning("refresh token reused; revoking its family")
            self.server.call(self.server.oauth.revoke_family, row.family_id, datetime.now(UTC))
            return None
        token = PresentedToken(row, "refresh_token")
        if token.is_expired():
            return None
        return token

    def authenticate_user(self, refresh_token: PresentedToken) -> Subject | None:
        row = refresh_token.row
        if row.user_id is None:
            return None
        return self.server.subject(row.user_id, row.auth_time, row.amr)

    def issue_token(self, user: Subject, refresh_token: PresentedToken) -> dict[str, Any]:
        # The user's roles may have changed since the grant: keep only what they still allow.
        asked = self.request.payload.scope or refresh_token.get_scope()
        scope = " ".join(permitted_scopes(asked.split(), user.standing))
        token: dict[str, Any] = self.generate_token(
            user=user, scope=scope, include_refresh_token=True
        )
        return token

    def revoke_old_credential(self, refresh_token: PresentedToken) -> None:
        self.server.call(self.server.oauth.mark_rotated, refresh_token.row.id, datetime.now(UTC))


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _CONFIDENTIAL


class _TokenLookup:
    server: SawtAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        if token_type_hint != "refresh_token" and token_string.count(".") == 2:  # noqa: S105
            try:
                decoded = jwt.decode(
                    token_string, self.server.ctx.public_keys, algorithms=["RS256"]
                )
            except (JoseError, ValueError):
                decoded = None
            if decoded is not None and isinstance(decoded.claims.get("jti"), str):
                row = self.server.call(self.server.oauth.by_jti, decoded.claims["jti"])
                if row is not None:
                    return PresentedToken(row, "access_token")
        if token_type_hint == "access_token" and token_string.count(".") == 2:  # noqa: S105
            return None
        row = self.server.call(self.server.oauth.by_refresh_hash, hash_secret(token_string))
        return PresentedToken(row, "refresh_token") if row is not None else None


class Revocation(_TokenLookup, RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _ANY

    def revoke_token(self, token: PresentedToken, request: Any) -> None:
        now = datetime.now(UTC)
        if token.kind == "refresh_token":
            # Revoking a refresh token ends the grant: every token of its family.
            self.server.call(self.server.oauth.revoke_family, token.row.family_id, now)
        else:
            self.server.call(self.server.oauth.revoke_access, token.row.id, now)


class Introspection(_TokenLookup, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _CONFIDENTIAL

    def check_permission(self, token: PresentedToken, client: Client, request: Any) -> bool:
        return bool(token.check_client(client))

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        row = token.row
        expires = row.access_expires_at if token.kind == "access_token" else row.refresh_expires_at
        assert expires is not None
        out: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": row.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "exp": int(expires.timestamp()),
            "iat": int(row.created_at.timestamp()),
            "iss": self.server.ctx.settings.issuer,
            "sub": str(row.user_id) if row.user_id else row.client_id,
        }
        if token.kind == "access_token":
            out["aud"] = self.server.ctx.settings.access_token_audience
            out["jti"] = row.access_jti
        return out


class SawtAuthorizationServer(BridgedServer):
    """One per request: holds the request's connection and the active signing key."""

    def __init__(
        self,
        conn: Connection,
        settings: IdentitySettings,
        signing_key: RSAKey,
        public_keys: KeySet,
        standing: Any,
    ) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.ctx = _Context(conn, settings, signing_key, public_keys)
        self.oauth = OAuthRepository(conn)
        self.accounts = AccountRepository(conn)
        self._standing = standing
        self.register_token_generator("default", _TokenGenerator(self.ctx))
        self.register_grant(AuthorizationCodeGrant, [S256Required(), _OpenIDCode(self)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> Client | None:
        return self.call(self.oauth.client, client_id)

    def subject(
        self, user_id: uuid.UUID, auth_time: datetime | None, amr: tuple[str, ...]
    ) -> Subject | None:
        user = self.call(self.accounts.get, user_id)
        if user is None or not user.active:
            return None
        return Subject(user, self.call(self._standing, user), auth_time, amr)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        client: Client = request.client
        subject: Subject | None = request.user if isinstance(request.user, Subject) else None
        now = datetime.now(UTC)
        family_id = uuid.uuid4()
        grant_type = request.payload.grant_type or "authorization_code"
        if request.authorization_code is not None:
            family_id = request.authorization_code.family_id
        elif isinstance(request.refresh_token, PresentedToken):
            family_id = request.refresh_token.row.family_id
        refresh = token.get("refresh_token")
        assert self.ctx.last_jti is not None
        self.call(
            self.oauth.save_token,
            family_id=family_id,
            client_id=client.get_client_id(),
            user_id=subject.user.id if subject else None,
            grant_type=grant_type,
            scope=token.get("scope", ""),
            access_jti=self.ctx.last_jti,
            access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_token_hash=hash_secret(refresh) if refresh else None,
            refresh_expires_at=(
                now + timedelta(seconds=self.ctx.settings.refresh_token_ttl) if refresh else None
            ),
            auth_time=subject.auth_time if subject else None,
            amr=list(subject.amr) if subject else [],
        )
