"""National eID through OpenID Connect federation, with Authlib's client.

The provider is found by discovery at ``IDENTITY_EID_ISSUER``. A login starts with a
state, a nonce and a PKCE verifier stored server side (single use, ten minutes);
the callback exchanges the code with Authlib's ``AsyncOAuth2Client``, verifies the
id_token's signature against the provider's JWKS and checks it with Authlib's
``CodeIDToken`` claims (iss, aud, exp, iat, nonce).

The eID subject is stored only as HMAC-SHA256(server secret, issuer, subject): a
unique column, so one eID backs at most one account, and the database alone does
not reveal who is who.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from identity.accounts.repository import AccountRepository, User
from identity.settings import IdentitySettings
from identity.tokens import hash_secret, keyed_hash, new_secret
from sawt_shared.db import Connection
from sawt_shared.events.identity import UserAssuranceRaised
from sawt_shared.outbox import Outbox

__all__ = ["EidError", "EidOutcome", "EidService"]

STATE_TTL = timedelta(minutes=10)


class EidError(Exception):
    """The eID login failed; ``reason`` is shown (as a message key) to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EidOutcome:
    user: User
    next_url: str
    linked: bool
    login: bool


_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class EidService:
    def __init__(
        self, conn: Connection, settings: IdentitySettings, http: httpx.AsyncClient, outbox: Outbox
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.http = http
        self.outbox = outbox
        self.accounts = AccountRepository(conn)

    @property
    def issuer(self) -> str:
        issuer = self.settings.eid_issuer
        if not issuer:
            raise EidError("eid_disabled")
        if not issuer.startswith("https://") and not self.settings.eid_allow_insecure_http:
            raise EidError("eid_disabled")
        return issuer

    @property
    def redirect_uri(self) -> str:
        return self.settings.issuer.rstrip("/") + "/eid/callback"

    async def _metadata(self) -> dict[str, Any]:
        issuer = self.issuer
        cached = _metadata_cache.get(issuer)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self.http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
            response.raise_for_status()
            metadata: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError):
            raise EidError("eid_unavailable") from None
        if metadata.get("issuer") != issuer:
            raise EidError("eid_unavailable")
        _metadata_cache[issuer] = (time.monotonic() + 300, metadata)
        return metadata

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.eid_client_id,
            client_secret=self.settings.eid_client_secret,
            scope=self.settings.eid_scope,
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106
            code_challenge_method="S256",
            timeout=10.0,
        )

    async def start(self, user_id: uuid.UUID | None, next_url: str) -> str:
        """The provider's authorization URL; remembers state, nonce and verifier."""
        metadata = await self._metadata()
        state, nonce, verifier = new_secret(), new_secret(16), secrets.token_urlsafe(48)
        await self.conn.execute(
            "INSERT INTO eid_logins (state_hash, nonce, code_verifier, user_id, next_url,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            hash_secret(state),
            nonce,
            verifier,
            user_id,
            next_url,
            datetime.now(UTC) + STATE_TTL,
        )
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        return str(url)

    async def callback(self, state: str, code: str) -> EidOutcome:
        row = await self.conn.fetchrow(
            "DELETE FROM eid_logins WHERE state_hash = $1 RETURNING *", hash_secret(state)
        )
        if row is None or row["expires_at"] <= datetime.now(UTC):
            raise EidError("eid_error")
        metadata = await self._metadata()
        try:
            async with self._client() as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=row["code_verifier"],
                )
            jwks = (await self.http.get(metadata["jwks_uri"])).json()
        except Exception:
            raise EidError("eid_error") from None
        subject = self._subject(token.get("id_token"), jwks, row["nonce"])
        subject_hash = keyed_hash(self.settings.secret_key, "eid", self.issuer, subject)
        now = datetime.now(UTC)
        if row["user_id"] is not None:
            user = await self.accounts.get(row["user_id"])
            if user is None or not user.active:
                raise EidError("eid_error")
            holder = await self.accounts.by_eid(subject_hash)
            if holder is not None and holder.id != user.id:
                raise EidError("eid_taken")
            if holder is None:
                if not await self.accounts.link_eid(user.id, subject_hash, now):
                    raise EidError("eid_taken")
                if user.assurance != "eid":
                    await self.outbox.add(
                        self.conn, UserAssuranceRaised(user_id=user.id, assurance="eid")
                    )
            linked = await self.accounts.get(user.id)
            assert linked is not None
            return EidOutcome(linked, row["next_url"], linked=holder is None, login=False)
        user = await self.accounts.by_eid(subject_hash)
        if user is None:
            raise EidError("eid_error")
        return EidOutcome(user, row["next_url"], linked=False, login=True)

    def _subject(self, id_token: Any, jwks: Any, nonce: str) -> str:
        if not isinstance(id_token, str):
            raise EidError("eid_error")
        try:
            keys = KeySet.import_key_set(jwks)
            decoded = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256"])
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.settings.eid_client_id},
                    "nonce": {"essential": True},
                },
                params={"nonce": nonce, "client_id": self.settings.eid_client_id},
            )
            claims.validate(now=int(time.time()), leeway=60)
        except (JoseError, ValueError, TypeError, KeyError):
            raise EidError("eid_error") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise EidError("eid_error")
        return subject
