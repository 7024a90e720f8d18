"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordPolicy", "Passwords", "password_problems"]


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("identity.accounts").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class PasswordPolicy:
    """What a new password must be: long enough, not common, not the email."""

    def __init__(self, min_length: int = 10, max_length: int = 256) -> None:
        self.min_length = min_length
        self.max_length = max_length


def password_problems(password: str, policy: PasswordPolicy, *, email: str = "") -> list[str]:
    """The reasons ``password`` is refused (codes), or an empty list."""
    normalized = _normalize(password)
    problems = []
    if len(normalized) < policy.min_length:
        problems.append("too-short")
    if len(normalized) > policy.max_length:
        problems.append("too-long")
    lowered = normalized.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.append("too-common")
    if email and lowered in {email.lower(), email.split("@", 1)[0].lower()}:
        problems.append("same-as-email")
    return problems


class Passwords:
    """argon2id hashing. ``verify`` always costs one argon2 computation, even for a
    missing account (it then checks against a dummy hash), so timing does not tell
    whether an email is registered."""

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._dummy = self._hasher.hash("not a password: timing equaliser")

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(_normalize(password)))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash`` (``None``: no account)."""
        target = stored_hash or self._dummy
        try:
            ok = bool(self._hasher.verify(target, _normalize(password)))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return bool(self._hasher.check_needs_rehash(stored_hash))
