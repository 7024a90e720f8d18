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
    database_pool_max: int = Field(
        20, description="Most connections the pool opens (sign batches, reads, the folder)."
    )
    web_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the web front end, for links put in events.",
    )

    tune_gc: bool = Field(
        True,
        description="After start-up, freeze the heap and raise the garbage collector's "
        "first threshold (less CPU per request; see petitions.bootstrap).",
    )

    # Signing: group commit ---------------------------------------------------------
    sign_batch_window: float = Field(
        0.002,
        description="Seconds a sign request waits for others to share its transaction "
        "(group commit); 0 writes as soon as a writer is free.",
    )
    sign_batch_max: int = Field(500, description="Most signatures written in one transaction.")
    sign_batch_writers: int = Field(
        3, description="Sign transactions one process runs at the same time."
    )
    sign_max_pending: int = Field(
        20_000,
        description="Sign requests a process holds waiting for a batch before it answers 503.",
    )

    # Counting ---------------------------------------------------------------------
    run_folder: bool = Field(
        True,
        description="Run the count folder in this process (an advisory lock lets only one "
        "process fold at a time).",
    )
    fold_interval: float = Field(0.5, description="Seconds between two folds of the counts.")
    recount_interval_hours: float = Field(
        24.0, description="Hours between two automatic recounts (0: only on demand)."
    )

    # Scheduler ----------------------------------------------------------------------
    run_scheduler: bool = Field(
        True,
        description="Run the task that closes petitions whose time is up and purges "
        "old Idempotency-Keys.",
    )
    close_interval: float = Field(
        15.0,
        description="Seconds between two looks for petitions to close (and for "
        "Idempotency-Keys to purge).",
    )
    idempotency_retention_hours: float = Field(
        24.0,
        gt=0,
        description="Hours an Idempotency-Key at least answers retries; older keys are "
        "purged by the scheduler.",
    )

    # Rate limits (``limits`` notation) ---------------------------------------------------
    sign_limit_per_account: str = Field(
        "20/minute", description="Signatures and withdrawals one account may send."
    )
    sign_limit_per_ip: str = Field(
        "300/minute", description="Signatures one client address may send (many share a NAT)."
    )
    create_limit_per_account: str = Field(
        "10/hour", description="Petitions (and sponsorships) one account may create."
    )
    create_limit_per_ip: str = Field(
        "60/hour", description="Petitions one client address may create."
    )

    # Public reads -------------------------------------------------------------------------
    public_max_age: int = Field(
        2, description="Seconds public readers (and caches) may reuse a petition or list."
    )
    export_max_age: int = Field(60, description="Seconds caches may reuse an export.")
    similar_min_score: float = Field(
        0.3, description="Trigram similarity from which a petition counts as looking alike."
    )
