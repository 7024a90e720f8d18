"""API schemas of signing."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PublicSigner", "PublicSigners", "SignatureCreate", "SignatureRead"]


class SignatureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: bool = Field(
        False, description="Show my name among the public signers (it is hidden by default)."
    )
    wants_updates: bool = Field(
        False, description="Tell me when the petition is answered or debated."
    )


class SignatureRead(BaseModel):
    signature_id: uuid.UUID
    petition_id: uuid.UUID
    signed_at: datetime
    region: str | None
    public: bool


class PublicSigner(BaseModel):
    name: str
    region: str | None
    signed_at: datetime


class PublicSigners(BaseModel):
    items: list[PublicSigner]
    next_cursor: str | None
