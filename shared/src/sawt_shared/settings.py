"""Settings every Sawt service reads from its environment.

Each service subclasses :class:`ServiceSettings` with its own prefix, so
``PETITIONS_DATABASE_URL`` configures the petitions service and nothing else.
Every field documents its default; ``docs/configuration.md`` lists them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings", "settings_table"]


class ServiceSettings(BaseSettings):
    """The settings common to every service. Subclass with ``env_prefix`` set."""

    model_config = SettingsConfigDict(env_prefix="SAWT_", extra="ignore")

    service_name: str = Field(
        "sawt", description="Name used as the CloudEvents `source`, consumer group and in logs."
    )
    database_url: str = Field(
        "postgresql://sawt:sawt@127.0.0.1:55432/sawt",
        description="PostgreSQL DSN of the service's own database.",
    )
    database_pool_min: int = Field(2, description="Connections the pool keeps open.")
    database_pool_max: int = Field(10, description="Most connections the pool opens.")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:59092", description="Comma-separated Kafka bootstrap servers."
    )
    topic_prefix: str = Field(
        "", description="Prefix put before every topic name (tests use one per run)."
    )
    consumer_group_prefix: str = Field(
        "", description="Prefix put before every consumer group id (tests use one per run)."
    )
    jwks_url: str = Field(
        "http://127.0.0.1:8001/.well-known/jwks.json",
        description="Where the identity service publishes its signing keys.",
    )
    token_issuer: str = Field(
        "http://127.0.0.1:8001", description="Expected `iss` of access tokens."
    )
    token_audience: str = Field(
        "sawt", description="Expected `aud` of access tokens accepted by this service."
    )
    token_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256"],
        description="Signature algorithms accepted for access tokens (pinned; never `none`).",
    )
    log_level: str = Field("INFO", description="Python log level.")
    log_json: bool = Field(True, description="Log as one JSON object per line.")
    run_outbox_relay: bool = Field(True, description="Run the outbox relay inside the web process.")
    run_consumers: bool = Field(
        True, description="Run the service's Kafka consumers inside the web process."
    )
    outbox_poll_interval: float = Field(
        1.0, description="Seconds between outbox polls when no NOTIFY arrives."
    )
    consumer_max_attempts: int = Field(
        5, description="Tries of one event before it goes to the dead-letter topic."
    )
    rate_limit_storage: str = Field(
        "async+sawt-memory://",
        description=(
            "`limits` storage URI for rate limits: per process by default; replicas share "
            "one store (`async+redis://…`)."
        ),
    )
    max_body_bytes: int = Field(
        1_048_576,
        gt=0,
        description="Largest request body accepted; a larger one is answered 413.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxies (addresses or CIDR) whose X-Forwarded-For header is believed.",
    )
    consumer_retry_backoff: float = Field(
        0.2, description="First backoff in seconds between tries; doubles each time."
    )


def settings_table(cls: type[BaseSettings], prefix: str) -> str:
    """A Markdown table of ``cls``'s settings: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in cls.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = ",".join(default) if isinstance(default, list) else default
        rows.append(f"| `{prefix}{name.upper()}` | `{shown}` | {field.description or ''} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # the table of docs/configuration.md
    print(settings_table(ServiceSettings, "<SVC>_"), end="")
