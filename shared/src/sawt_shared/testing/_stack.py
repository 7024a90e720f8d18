from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StackEnv", "load_stack_env"]


@dataclass(frozen=True)
class StackEnv:
    """Where the tests find PostgreSQL and Kafka, and what names this run uses."""

    pg_admin_dsn: str
    kafka_bootstrap: str
    run_id: str

    @property
    def topic_prefix(self) -> str:
        return f"test-{self.run_id}."

    def database_name(self, service: str) -> str:
        return f"test_{self.run_id}_{service}"

    def database_url(self, service: str) -> str:
        base, _, _ = self.pg_admin_dsn.rpartition("/")
        return f"{base}/{self.database_name(service)}"


def _stack_file() -> Path | None:
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / ".stack" / "env"
        if candidate.is_file():
            return candidate
    return None


def load_stack_env() -> StackEnv:
    """From ``SAWT_PG_ADMIN_DSN``/``SAWT_KAFKA_BOOTSTRAP``, else the running stack's ``.stack/env``."""
    values = dict(os.environ)
    path = _stack_file()
    if path is not None:
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() not in values:
                values[key.strip()] = value.strip()
    missing = [k for k in ("SAWT_PG_ADMIN_DSN", "SAWT_KAFKA_BOOTSTRAP") if not values.get(k)]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not set: run the tests with `./sawt test`, or start the "
            "stack with `./sawt up` first"
        )
    return StackEnv(
        pg_admin_dsn=values["SAWT_PG_ADMIN_DSN"],
        kafka_bootstrap=values["SAWT_KAFKA_BOOTSTRAP"],
        run_id=values.get("SAWT_TEST_RUN_ID") or secrets.token_hex(4),
    )
