"""Settings of the notifications service, read from ``NOTIFICATIONS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings

__all__ = ["NotificationsSettings"]


class NotificationsSettings(ServiceSettings):
    """Every ``ServiceSettings`` field, prefixed ``NOTIFICATIONS_`` (``NOTIFICATIONS_DATABASE_URL``, …)."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = Field("notifications", description="CloudEvents source and consumer name.")
    database_url: str = Field(
        "postgresql://notifications:notifications@127.0.0.1:55432/notifications",
        description="PostgreSQL DSN of the notifications database.",
    )
