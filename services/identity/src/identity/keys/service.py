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

from cryptography.fernet import Fernet
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


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    created_at: datetime
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

    async def _store(self, key: RSAKey) -> None:
        public: dict[str, Any] = dict(key.as_dict(private=False))
        private = json.dumps(key.as_dict(private=True)).encode()
        await self.repo.insert(str(key.kid), ALGORITHM, public, self._fernet.encrypt(private))

    async def ensure_active(self) -> str:
        """The active key's kid, generating the first key if there is none."""
        row = await self.repo.active()
        if row is not None:
            return str(row["kid"])
        await self.repo.lock()
        row = await self.repo.active()
        if row is not None:
            return str(row["kid"])
        key = self._new_key()
        await self._store(key)
        return str(key.kid)

    async def rotate(self) -> tuple[str | None, str]:
        """Retire the active key (still published until its tokens expire) and make a new
        one active. Returns (old kid, new kid)."""
        await self.repo.lock()
        now = datetime.now(UTC)
        longest = max(self.settings.access_token_ttl, self.settings.id_token_ttl)
        old = await self.repo.retire_active(now, now + timedelta(seconds=longest) + PUBLISH_MARGIN)
        key = self._new_key()
        await self._store(key)
        return old, str(key.kid)

    async def signing_key(self) -> RSAKey:
        """The active private key (made on first use)."""
        await self.ensure_active()
        row = await self.repo.active()
        assert row is not None
        data = json.loads(self._fernet.decrypt(bytes(row["private_jwk_encrypted"])))
        return RSAKey.import_key(data)

    async def jwks(self) -> dict[str, Any]:
        """Every public key a valid token may be signed with."""
        rows = await self.repo.published(datetime.now(UTC))
        return {"keys": [dict(r["public_jwk"]) for r in rows]}

    async def list_keys(self) -> list[KeyInfo]:
        return [
            KeyInfo(r["kid"], r["created_at"], r["retired_at"], r["publish_until"])
            for r in await self.repo.all()
        ]
