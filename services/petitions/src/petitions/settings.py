"""Settings of the petitions service, read from ``PETITIONS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings

__all__ = ["PetitionsSettings"]


class PetitionsSettings(ServiceSettings):
    """Every ``ServiceSettings`` field, prefixed ``PETITIONS_`` (``PETITIONS_DATABASE_URL``, …)."""

    model_config = SettingsConfigDict(env_prefix="PETITIONS_", extra="ignore")

    service_name: str = Field("petitions", description="CloudEvents source and consumer name.")
    database_url: str = Field(
        "postgresql://petitions:petitions@127.0.0.1:55432/petitions",
        description="PostgreSQL DSN of the petitions database.",
    )
