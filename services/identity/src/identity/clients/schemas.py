"""API schemas of OAuth client registration."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ClientCreate", "ClientCreated", "ClientRead"]


class ClientCreate(BaseModel):
    """A public web app (authorization code + PKCE, refresh tokens) or a confidential
    client (a government system: client credentials; authorization code too if it
    lists redirect URIs)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    kind: Literal["public", "confidential"]
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    allowed_scopes: list[str] = Field(min_length=1, max_length=30)
    first_party: bool = Field(False, description="A Sawt app: users are not asked to consent.")


class ClientRead(BaseModel):
    client_id: str
    name: str
    kind: Literal["public", "confidential"]
    redirect_uris: list[str]
    allowed_scopes: list[str]
    grant_types: list[str]
    first_party: bool
    created_at: datetime
    revoked_at: datetime | None = None


class ClientCreated(ClientRead):
    client_secret: str | None = Field(
        None, description="Shown once, for confidential clients; only its hash is stored."
    )
