"""Settings of the consultations service, read from ``CONSULTATIONS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings

__all__ = ["ConsultationsSettings"]


class ConsultationsSettings(ServiceSettings):
    """Every ``ServiceSettings`` field, prefixed ``CONSULTATIONS_`` (``CONSULTATIONS_DATABASE_URL``, …)."""

    model_config = SettingsConfigDict(env_prefix="CONSULTATIONS_", extra="ignore")

    service_name: str = Field("consultations", description="CloudEvents source and consumer name.")
    database_url: str = Field(
        "postgresql://consultations:consultations@127.0.0.1:55432/consultations",
        description="PostgreSQL DSN of the consultations database.",
    )
