"""API schemas of consents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from identity.consents.repository import Consent

__all__ = ["ConsentRead"]


class ConsentRead(BaseModel):
    client_id: str
    client_name: str
    scopes: list[str]
    granted_at: datetime

    @classmethod
    def of(cls, consent: Consent) -> ConsentRead:
        return cls(
            client_id=consent.client_id,
            client_name=consent.client_name,
            scopes=list(consent.scopes),
            granted_at=consent.granted_at,
        )
