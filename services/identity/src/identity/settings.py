"""Settings of the identity service, read from ``IDENTITY_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings

__all__ = ["IdentitySettings"]


class IdentitySettings(ServiceSettings):
    """Every ``ServiceSettings`` field, prefixed ``IDENTITY_`` (``IDENTITY_DATABASE_URL``, …)."""

    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    service_name: str = Field("identity", description="CloudEvents source and consumer name.")
    database_url: str = Field(
        "postgresql://identity:identity@127.0.0.1:55432/identity",
        description="PostgreSQL DSN of the identity database.",
    )
