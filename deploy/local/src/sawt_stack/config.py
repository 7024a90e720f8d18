"""Ports and addresses of the local stack, with their environment overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["HOST", "SERVICES", "StackConfig"]

#: Everything listens on loopback only.
HOST = "127.0.0.1"

#: The services in start order, each with its default port.
SERVICES: dict[str, int] = {
    "identity": 8001,
    "petitions": 8002,
    "consultations": 8003,
    "notifications": 8004,
}


def _port(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{key}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"{key}={port} is out of range 1-65535")
    return port


@dataclass(frozen=True)
class StackConfig:
    """The ports the stack uses. Build it with :meth:`from_env`."""

    pg_port: int = 55432
    kafka_port: int = 59092
    mail_port: int = 8025
    service_ports: tuple[tuple[str, int], ...] = tuple(SERVICES.items())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackConfig:
        """Read ``SAWT_PG_PORT``, ``SAWT_KAFKA_PORT``, ``SAWT_MAIL_PORT`` and ``SAWT_<NAME>_PORT``."""
        return cls(
            pg_port=_port(env, "SAWT_PG_PORT", 55432),
            kafka_port=_port(env, "SAWT_KAFKA_PORT", 59092),
            mail_port=_port(env, "SAWT_MAIL_PORT", 8025),
            service_ports=tuple(
                (name, _port(env, f"SAWT_{name.upper()}_PORT", default))
                for name, default in SERVICES.items()
            ),
        )

    @property
    def controller_port(self) -> int:
        """The KRaft controller listens on the port after the broker's."""
        return self.kafka_port + 1

    @property
    def kafka_bootstrap(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    def service_port(self, name: str) -> int:
        return dict(self.service_ports)[name]

    def service_url(self, name: str) -> str:
        return f"http://{HOST}:{self.service_port(name)}"

    def database_url(self, name: str) -> str:
        """The DSN of service ``name``'s dev database (role and password = name)."""
        return f"postgresql://{name}:{name}@{HOST}:{self.pg_port}/{name}"

    def admin_dsn(self, password: str, database: str = "postgres") -> str:
        """The superuser DSN."""
        return f"postgresql://postgres:{password}@{HOST}:{self.pg_port}/{database}"
