"""Opaque secrets the service hands out (session cookies, email links, refresh tokens,
client secrets) and how they are stored: only a hash, never the secret itself.

High-entropy secrets are stored as SHA-256 digests (a slow hash adds nothing when the
secret has 256 bits of randomness); short codes a person types and eID subjects are
keyed with HMAC-SHA256 under the server secret, so a copy of the database alone does
not let anyone test guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_secret", "keyed_hash", "new_code", "new_secret", "same_hash"]


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret of ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def new_code(digits: int = 6) -> str:
    """A short numeric code a person can type."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def hash_secret(secret: str) -> bytes:
    """The stored form of a high-entropy secret."""
    return hashlib.sha256(secret.encode()).digest()


def keyed_hash(key: str, *parts: str) -> bytes:
    """HMAC-SHA256 of ``parts`` under ``key`` (for low-entropy values and eID subjects)."""
    mac = hmac.new(key.encode(), digestmod=hashlib.sha256)
    for part in parts:
        mac.update(len(part).to_bytes(4, "big"))
        mac.update(part.encode())
    return mac.digest()


def same_hash(a: bytes | None, b: bytes | None) -> bool:
    """Constant-time comparison of two stored hashes."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a, b)
