"""Signing keys: one active RSA key signs every token; retired keys stay published in
the JWKS until every token they signed has expired; private keys are stored encrypted
(Fernet, keyed from the server secret) and never leave this module unencrypted."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import RSAKey

from identity.keys.repository import KeyRepository
from identity.settings import IdentitySettings
from sawt_shared.db import Connection

__all__ = ["ALGORITHM", "KeyInfo", "SigningKeys"]

ALGORITHM = "RS256"
#: Extra time a retired key stays published, for clock skew and in-flight requests.
PUBLISH_MARGIN = timedelta(minutes=5)


def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"sawt identity signing keys"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


#: Decrypted private keys by kid, so each is decrypted once per process.
_decrypted: dict[str, RSAKey] = {}


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    activated_at: datetime
    retired_at: datetime | None
    publish_until: datetime | None


class SigningKeys:
    """The key ring, read and changed through one connection."""

    def __init__(self, conn: Connection, settings: IdentitySettings) -> None:
        self.repo = KeyRepository(conn)
        self.settings = settings
        self._fernet = _fernet(settings.secret_key)

    def _new_key(self) -> RSAKey:
        kid = datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(6)
        return RSAKey.generate_key(
            self.settings.key_rsa_bits, {"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
        )

    async def _store(self, key: RSAKey, activated_at: datetime) -> None:
        public: dict[str, Any] = dict(key.as_dict(private=False))
        private = json.dumps(key.as_dict(private=True)).encode()
        await self.repo.insert(
            str(key.kid), ALGORITHM, public, self._fernet.encrypt(private), activated_at
        )

    async def ensure_active(self) -> str:
        """The signing key's kid, generating the first key if there is none."""
        row = await self.repo.active(datetime.now(UTC))
        if row is not None:
            return str(row["kid"])
        await self.repo.lock()
        now = datetime.now(UTC)
        row = await self.repo.active(now)
        if row is not None:
            return str(row["kid"])
        key = self._new_key()
        await self._store(key, now)
        return str(key.kid)

    async def rotate(self, delay: float | None = None) -> tuple[list[str], str, datetime]:
        """Make a new key, published at once and signing after ``delay`` seconds (default
        ``IDENTITY_KEY_ACTIVATION_DELAY``: resource servers that cached the key set pick
        it up before any token needs it). The keys it replaces stop signing then, and
        stay published until every token they signed has expired.

        Returns (replaced kids, new kid, activation time)."""
        await self.repo.lock()
        now = datetime.now(UTC)
        wait = self.settings.key_activation_delay if delay is None else delay
        activation = now + timedelta(seconds=max(0.0, wait))
        longest = max(self.settings.access_token_ttl, self.settings.id_token_ttl)
        await self.repo.drop_pending(now)
        old = await self.repo.retire_current(
            activation, activation + timedelta(seconds=longest) + PUBLISH_MARGIN
        )
        key = self._new_key()
        await self._store(key, activation)
        return old, str(key.kid), activation

    async def signing_key(self) -> RSAKey:
        """The private key that signs now (made on first use)."""
        await self.ensure_active()
        row = await self.repo.active(datetime.now(UTC))
        assert row is not None
        cached = _decrypted.get(row["kid"])
        if cached is None:
            try:
                plain = self._fernet.decrypt(bytes(row["private_jwk_encrypted"]))
            except InvalidToken:
                raise RuntimeError(
                    f"IDENTITY_SECRET_KEY does not decrypt the signing key {row['kid']}: "
                    "restore the secret the key was stored with, or make a new key with "
                    "`python -m identity.keys rotate --now` under the new secret"
                ) from None
            data = json.loads(plain)
            cached = _decrypted[row["kid"]] = RSAKey.import_key(data)
        return cached

    async def jwks(self) -> dict[str, Any]:
        """Every public key a valid token may be signed with."""
        rows = await self.repo.published(datetime.now(UTC))
        return {"keys": [dict(r["public_jwk"]) for r in rows]}

    async def list_keys(self) -> list[KeyInfo]:
        return [
            KeyInfo(r["kid"], r["activated_at"], r["retired_at"], r["publish_until"])
            for r in await self.repo.all()
        ]
