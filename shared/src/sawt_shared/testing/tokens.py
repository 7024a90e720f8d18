"""Signing keys, a key set and access tokens for tests.

A :class:`TokenFactory` plays the identity service: it publishes a JWKS and mints
RFC 9068 access tokens with the claims a test asks for. Keys are generated once
per name and per test run (RSA generation is slow)::

    tokens = TokenFactory()
    client = httpx.AsyncClient(transport=tokens.jwks_transport())
    app.state.token_verifier = TokenVerifier(
        JWKSCache("http://identity.test/.well-known/jwks.json", client),
        issuer=tokens.issuer,
        audience=tokens.audience,
    )
    token = tokens.mint(scopes=["petitions:write"], subject="user-42")

:func:`encode_unsecured` and :func:`encode_hs256` forge the tokens an attacker
would send (``alg: none``; HMAC keyed with the public key), to prove they fail.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import uuid
from base64 import urlsafe_b64encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

__all__ = [
    "TEST_AUDIENCE",
    "TEST_CLIENT_ID",
    "TEST_ISSUER",
    "TokenFactory",
    "encode_hs256",
    "encode_unsecured",
    "signing_key",
]

TEST_ISSUER = "https://identity.sawt.test"
TEST_AUDIENCE = "sawt"
TEST_CLIENT_ID = "sawt-web"


@functools.cache
def signing_key(kid: str = "test-key-1") -> RSAKey:
    """An RS256 private key whose ``kid`` is ``kid``, the same object for the whole run."""
    return RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(dict(value), separators=(",", ":")).encode())


def encode_unsecured(claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
    """An unsigned JWT (``alg: none``, empty signature), as an attacker would forge."""
    head = {"alg": "none", "typ": "at+jwt", **(header or {})}
    return f"{_segment(head)}.{_segment(claims)}."


def encode_hs256(
    claims: Mapping[str, Any], secret: bytes, header: Mapping[str, Any] | None = None
) -> str:
    """A JWT signed with HMAC-SHA256 keyed by ``secret`` (e.g. a public key's PEM bytes)."""
    head = {"alg": "HS256", "typ": "at+jwt", **(header or {})}
    signing_input = f"{_segment(head)}.{_segment(claims)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@dataclass(frozen=True)
class TokenFactory:
    """Mints access tokens signed by ``key`` and publishes ``key`` (and others) as a JWKS."""

    key: RSAKey = field(default_factory=signing_key)
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    client_id: str = TEST_CLIENT_ID
    lifetime: int = 300

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def jwks(self, *keys: RSAKey) -> dict[str, Any]:
        """The public key set: ``keys`` if given, else this factory's key."""
        published = list(keys or (self.key,))
        return dict(KeySet(list(published)).as_dict(private=False))

    def jwks_transport(self, *keys: RSAKey) -> httpx.MockTransport:
        """An HTTP transport answering every request with :meth:`jwks`."""
        document = self.jwks(*keys)
        return httpx.MockTransport(lambda request: httpx.Response(200, json=document))

    def claims(
        self,
        *,
        subject: str = "user-1",
        scopes: Iterable[str] = (),
        **overrides: Any,
    ) -> dict[str, Any]:
        """The payload of a valid token; ``overrides`` replace claims, ``None`` removes one."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "client_id": self.client_id,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scopes),
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def header(self, **overrides: Any) -> dict[str, Any]:
        """The JWS header of a valid token; ``overrides`` replace fields, ``None`` removes one."""
        header: dict[str, Any] = {"alg": "RS256", "typ": "at+jwt", "kid": self.kid}
        header.update(overrides)
        return {name: value for name, value in header.items() if value is not None}

    def mint(
        self,
        *,
        subject: str = "user-1",
        scopes: Iterable[str] = (),
        header: Mapping[str, Any] | None = None,
        key: RSAKey | None = None,
        **overrides: Any,
    ) -> str:
        """A signed access token; see :meth:`claims` and :meth:`header` for the overrides.

        ``key`` signs instead of this factory's key (the header keeps this
        factory's ``kid`` unless ``header`` says otherwise).
        """
        head = self.header(**dict(header or {}))
        payload = self.claims(subject=subject, scopes=scopes, **overrides)
        return jwt.encode(
            head, payload, key or self.key, algorithms=[head["alg"]], default_type=None
        )
