"""Where the local stack keeps its files: everything under the repo's ``.stack/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StackPaths", "find_repo_root"]


def find_repo_root(start: Path | None = None) -> Path:
    """The repository root: ``$SAWT_REPO_ROOT``, else the nearest folder holding ``sawt``.

    The search starts at ``start`` (default: this file, then the working directory),
    so the stack manager works from anywhere inside the repository.
    """
    override = os.environ.get("SAWT_REPO_ROOT")
    if override:
        return Path(override).resolve()
    starts = [start] if start is not None else [Path(__file__).resolve(), Path.cwd().resolve()]
    for origin in starts:
        for folder in [origin, *origin.parents]:
            if (folder / "sawt").is_file() and (folder / "deploy" / "local").is_dir():
                return folder
    raise RuntimeError(
        "cannot find the Sawt repository root (a folder with ./sawt and deploy/local)"
    )


@dataclass(frozen=True)
class StackPaths:
    """Every path the stack manager reads or writes, derived from the repo root."""

    root: Path

    @property
    def stack(self) -> Path:
        return self.root / ".stack"

    @property
    def logs(self) -> Path:
        return self.stack / "logs"

    @property
    def run(self) -> Path:
        return self.stack / "run"

    @property
    def leases(self) -> Path:
        return self.run / "leases"

    @property
    def lock_file(self) -> Path:
        return self.run / "stack.lock"

    @property
    def env_file(self) -> Path:
        return self.stack / "env"

    @property
    def postgres(self) -> Path:
        return self.stack / "postgres"

    @property
    def postgres_data(self) -> Path:
        return self.postgres / "data"

    @property
    def postgres_password(self) -> Path:
        return self.postgres / "superuser-password"

    @property
    def kafka(self) -> Path:
        return self.stack / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka / "libs"

    @property
    def kafka_data(self) -> Path:
        return self.kafka / "data"

    @property
    def kafka_config(self) -> Path:
        return self.kafka / "config"

    @property
    def kafka_pom(self) -> Path:
        return self.root / "deploy" / "local" / "kafka" / "pom.xml"

    @property
    def mail(self) -> Path:
        """The development mail server's Maildir: every message sent, one file each."""
        return self.stack / "mail"

    @property
    def venv_bin(self) -> Path:
        return self.root / ".venv" / "bin"

    def log(self, name: str) -> Path:
        """The log file of component ``name``."""
        return self.logs / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        """The pid file of component ``name``."""
        return self.run / f"{name}.pid"

    def owner_file(self, name: str) -> Path:
        """Who started component ``name``: ``up`` or ``test`` (see :mod:`sawt_stack.leases`)."""
        return self.run / f"{name}.owner"

    def service_env_file(self, name: str) -> Path:
        """The environment service ``name`` runs with, as ``KEY=value`` lines."""
        return self.run / f"{name}.env"

    def make_dirs(self) -> None:
        """Create the folders every command needs."""
        for folder in (self.logs, self.run, self.leases, self.postgres, self.kafka):
            folder.mkdir(parents=True, exist_ok=True)
