"""Signed unsubscribe tokens: who (a user, or an address) and which category.

The token is in the ``List-Unsubscribe`` URL, so it must work without a login and
be impossible to forge for somebody else: itsdangerous signs it with the service's
secret key. It does not expire: an unsubscribe link in an old mail must still work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["InvalidToken", "UnsubscribeToken", "UnsubscribeTokens"]

_SALT = "sawt.notifications.unsubscribe"


class InvalidToken(ValueError):
    """The token was not made by this service (or was changed)."""


@dataclass(frozen=True)
class UnsubscribeToken:
    category: str
    user_id: uuid.UUID | None = None
    address: str | None = None


class UnsubscribeTokens:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)

    def make(self, token: UnsubscribeToken) -> str:
        payload: dict[str, str] = {"c": token.category}
        if token.user_id is not None:
            payload["u"] = str(token.user_id)
        elif token.address is not None:
            payload["e"] = token.address.strip().lower()
        else:
            raise ValueError("an unsubscribe token names a user or an address")
        return str(self._serializer.dumps(payload))

    def read(self, value: str) -> UnsubscribeToken:
        try:
            payload = self._serializer.loads(value)
        except BadSignature:
            raise InvalidToken("not a valid unsubscribe token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
            raise InvalidToken("not a valid unsubscribe token")
        try:
            if "u" in payload:
                return UnsubscribeToken(payload["c"], user_id=uuid.UUID(payload["u"]))
            if "e" in payload and isinstance(payload["e"], str):
                return UnsubscribeToken(payload["c"], address=payload["e"])
        except ValueError:
            pass
        raise InvalidToken("not a valid unsubscribe token")
