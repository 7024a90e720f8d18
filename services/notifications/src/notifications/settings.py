"""Settings of the notifications service, read from ``NOTIFICATIONS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
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
    secret_key: SecretStr = Field(
        SecretStr("dev-only-notifications-secret-change-me"),
        description="Signs unsubscribe links. Set a long random value in production.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8004",
        description="Public URL of this service (unsubscribe links point here).",
    )
    web_base_url: str = Field(
        "http://127.0.0.1:3000", description="Public URL of the web app (links to petitions)."
    )

    # --- email ------------------------------------------------------------------
    smtp_host: str = Field("127.0.0.1", description="SMTP server (development: devmail).")
    smtp_port: int = Field(8025, description="SMTP port (development: devmail on 8025).")
    smtp_username: str | None = Field(None, description="SMTP user, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    smtp_use_tls: bool = Field(False, description="Connect with implicit TLS (port 465).")
    smtp_timeout: float = Field(30.0, description="Seconds before an SMTP command times out.")
    mail_from: str = Field("notifications@sawt.ma", description="Envelope and From address.")
    mail_from_name: str = Field("Sawt · صوت", description="Display name of the From header.")
    mail_domain: str = Field("sawt.ma", description="Right-hand side of Message-ID headers.")
    email_concurrency: int = Field(
        4, description="SMTP connections sending at once (each sends many messages)."
    )
    email_rate_per_second: float = Field(
        200.0, description="Most messages per second handed to the SMTP server."
    )
    email_batch_size: int = Field(200, description="Deliveries claimed per database round trip.")
    email_lease_seconds: float = Field(
        120.0,
        description="A claimed delivery not marked sent by then is taken again (crash recovery).",
    )
    email_max_attempts: int = Field(8, description="Tries of one mail before it is failed.")
    email_retry_base_seconds: float = Field(
        30.0, description="Backoff after the first failed try; doubles each time."
    )
    email_retry_max_seconds: float = Field(3600.0, description="Longest backoff between tries.")
    sender_poll_interval: float = Field(
        1.0, description="Seconds between looks for due deliveries when nothing wakes the sender."
    )

    # --- fan-out ------------------------------------------------------------------
    fanout_batch_size: int = Field(
        5000, description="Recipients queued per transaction when a message goes to many."
    )

    # --- webhooks -----------------------------------------------------------------
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        description=(
            "Seconds to wait before each retry of a failed webhook delivery (Standard Webhooks' "
            "schedule: about 27 hours in all); after the last one the delivery fails."
        ),
    )
    webhook_timeout: float = Field(15.0, description="Seconds a receiver has to answer.")
    webhook_concurrency: int = Field(8, description="Webhook deliveries in flight at once.")
    webhook_disable_after_seconds: float = Field(
        5 * 86400.0,
        description="An endpoint failing without a success for this long is disabled.",
    )
    webhook_secret_overlap_seconds: float = Field(
        86400.0, description="How long a rotated-out secret still signs deliveries."
    )
    webhook_allow_private_addresses: bool = Field(
        False,
        description=(
            "Allow endpoints resolving to loopback, private or link-local addresses "
            "(tests and local development only)."
        ),
    )
    webhook_allow_http: bool = Field(
        False, description="Allow plain http:// endpoints (tests and local development only)."
    )

    # --- workers --------------------------------------------------------------------
    run_senders: bool = Field(
        True, description="Run the email, webhook and fan-out workers inside the web process."
    )
