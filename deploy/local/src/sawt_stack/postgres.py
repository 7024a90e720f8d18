"""The stack's private PostgreSQL cluster in ``.stack/postgres/data``.

It is never the system's cluster: Debian's server binaries run a cluster of our
own, on loopback only (port 55432 unless ``SAWT_PG_PORT`` says otherwise), with
no Unix socket, password authentication (scram-sha-256) and fsync on. When the
stack manager runs as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import asyncpg  # type: ignore[import-untyped, unused-ignore]

from sawt_stack.config import HOST, StackConfig
from sawt_stack.paths import StackPaths
from sawt_stack.ports import PortBusy, wait_port_free
from sawt_stack.processes import owned_pid, tail

__all__ = [
    "Postgres",
    "PostgresError",
    "newest_bindir",
    "quote_ident",
    "quote_literal",
    "render_hba",
    "render_settings",
]

PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
SETTINGS_FILE = "sawt.conf"
INCLUDE_LINE = f"include_if_exists = '{SETTINGS_FILE}'"


class PostgresError(RuntimeError):
    """PostgreSQL could not be prepared, started or stopped; the message says why."""


def newest_bindir(candidates: Iterable[Path]) -> Path | None:
    """The ``…/<major>/bin`` with the highest major version among ``candidates``."""
    versioned = []
    for bindir in candidates:
        major = bindir.parent.name
        if major.isdigit():
            versioned.append((int(major), bindir))
    return max(versioned)[1] if versioned else None


def render_settings(port: int) -> str:
    """The settings the stack sets on every start (included from ``postgresql.conf``)."""
    return f"""\
# Written by the Sawt stack manager on every start; change deploy/local instead.
listen_addresses = '{HOST}'
port = {port}
unix_socket_directories = ''
password_encryption = 'scram-sha-256'

# A developer's machine: more connections (services + test databases), modest memory.
max_connections = 300
shared_buffers = 256MB
work_mem = 8MB
maintenance_work_mem = 128MB

# Durability stays on: what was acknowledged must survive a crash.
fsync = on
synchronous_commit = on
full_page_writes = on

timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
"""


def render_hba() -> str:
    """Password logins over loopback TCP only; there is no Unix socket."""
    return """\
# Written by the Sawt stack manager. TCP on loopback, passwords hashed with SCRAM.
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
"""


_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def quote_ident(name: str) -> str:
    """A safely quoted SQL identifier."""
    if _IDENT.match(name):
        return f'"{name}"'
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A safely quoted SQL string literal (for DDL, which takes no parameters)."""
    return "'" + value.replace("'", "''") + "'"


class Postgres:
    """The private cluster: initialise, start, stop, provision."""

    def __init__(self, paths: StackPaths, config: StackConfig) -> None:
        self.paths = paths
        self.config = config
        self.data = paths.postgres_data
        self.log = paths.log("postgres")

    # -- who runs it ---------------------------------------------------------

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _as_server_user(self, argv: Sequence[str]) -> list[str]:
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return list(argv)

    def _chown_to_server_user(self, path: Path) -> None:
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check_server_user(self) -> None:
        if not self.as_root:
            return
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresError(
                f"running as root needs the '{SERVER_USER}' system user to run PostgreSQL; "
                "install the 'postgresql' package (it creates it)"
            ) from None
        probe = subprocess.run(
            self._as_server_user(["test", "-x", str(self.paths.postgres)]), check=False
        )
        if probe.returncode != 0:
            raise PostgresError(
                f"the '{SERVER_USER}' user cannot reach {self.paths.postgres}: every folder "
                f"above the repository must be traversable by others (chmod o+x on each), "
                "or clone the repository somewhere else (for example under /srv or /opt)"
            )

    # -- binaries --------------------------------------------------------------

    def bindir(self) -> Path:
        """The binaries of the data folder's version if initialised, else the newest."""
        version_file = self.data / "PG_VERSION"
        if version_file.is_file():
            major = version_file.read_text().strip()
            wanted = PG_ROOT / major / "bin"
            if (wanted / "pg_ctl").is_file():
                return wanted
            raise PostgresError(
                f"{self.data} was made by PostgreSQL {major}, whose server binaries are gone; "
                f"install postgresql-{major}, or remove {self.paths.postgres} to start afresh"
            )
        found = newest_bindir(p.parent for p in PG_ROOT.glob("*/bin/initdb"))
        if found is None:
            raise PostgresError(
                f"no PostgreSQL server binaries under {PG_ROOT}; install the 'postgresql' package"
            )
        return found

    # -- state -------------------------------------------------------------------

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def running_pid(self) -> int | None:
        """The postmaster's pid if our cluster runs."""
        return owned_pid(self.data / "postmaster.pid", [str(self.data)])

    def password(self) -> str:
        try:
            return self.paths.postgres_password.read_text().strip()
        except OSError:
            raise PostgresError(
                f"{self.paths.postgres_password} is missing, so the superuser cannot log in; "
                f"remove {self.paths.postgres} to start afresh (this drops the local databases)"
            ) from None

    def admin_dsn(self, database: str = "postgres") -> str:
        return self.config.admin_dsn(self.password(), database)

    # -- lifecycle ---------------------------------------------------------------

    def _on_data(
        self, program: str, *args: str, start_new_session: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program on the cluster's data folder, as the server user."""
        return subprocess.run(
            self._as_server_user([str(self.bindir() / program), "--pgdata", str(self.data), *args]),
            capture_output=True,
            text=True,
            check=False,
            start_new_session=start_new_session,
        )

    def init(self) -> None:
        """``initdb`` the cluster with a generated superuser password (once)."""
        if self.initialised():
            return
        self._check_server_user()
        if self.data.exists():
            shutil.rmtree(self.data)  # a half-made folder from an interrupted initdb
        password = secrets.token_hex(16)
        self.paths.postgres_password.write_text(password + "\n")
        self.paths.postgres_password.chmod(0o600)
        self.data.mkdir(mode=0o700, parents=True)
        self._chown_to_server_user(self.data)
        pwfile = self.paths.postgres / ".initdb-password"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._chown_to_server_user(pwfile)
        try:
            result = self._on_data(
                "initdb",
                "--username",
                SERVER_USER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise PostgresError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def write_config(self) -> None:
        """Render our settings and ``pg_hba.conf``; include the settings once."""
        settings = self.data / SETTINGS_FILE
        hba = self.data / "pg_hba.conf"
        settings.write_text(render_settings(self.config.pg_port))
        hba.write_text(render_hba())
        main = self.data / "postgresql.conf"
        text = main.read_text()
        if INCLUDE_LINE not in text:
            main.write_text(text.rstrip("\n") + f"\n\n# Sawt's settings\n{INCLUDE_LINE}\n")
        for path in (settings, hba, main):
            path.chmod(0o600)
            self._chown_to_server_user(path)

    def start(self) -> None:
        """Start the cluster (initialising it first) and wait until it accepts logins."""
        self.init()
        if self.running_pid() is not None:
            asyncio.run(self.wait_ready(deadline=30.0))
            return
        try:
            wait_port_free([self.config.pg_port], env_var="SAWT_PG_PORT")
        except PortBusy as exc:
            raise PostgresError(str(exc)) from None
        self._check_server_user()
        self.write_config()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        self._chown_to_server_user(self.log)
        result = self._on_data(
            "pg_ctl",
            "start",
            "--log",
            str(self.log),
            "--wait",
            "--timeout=60",
            "--silent",
            start_new_session=True,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n"
                f"--- {self.log} ---\n{tail(self.log)}"
            )
        asyncio.run(self.wait_ready(deadline=30.0))

    def stop(self) -> bool:
        """``pg_ctl stop -m fast``; whether the cluster was running."""
        if self.running_pid() is None:
            return False
        result = self._on_data(
            "pg_ctl", "stop", "--mode=fast", "--wait", "--timeout=60", "--silent"
        )
        if result.returncode != 0 and self.running_pid() is not None:
            raise PostgresError(f"PostgreSQL did not stop:\n{result.stdout}{result.stderr}")
        return True

    # -- SQL ---------------------------------------------------------------------

    async def wait_ready(self, deadline: float) -> None:
        """Wait until the superuser can log in and run a query."""
        until = time.monotonic() + deadline
        while True:
            try:
                conn = await asyncpg.connect(self.admin_dsn(), timeout=5)
                try:
                    await conn.fetchval("SELECT 1")
                finally:
                    await conn.close()
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if time.monotonic() >= until:
                    raise PostgresError(
                        f"PostgreSQL on port {self.config.pg_port} does not accept logins: {exc}"
                    ) from exc
                await asyncio.sleep(0.3)

    async def provision(self, services: Iterable[str]) -> None:
        """One role and one database per service (role = password = name, dev only)."""
        conn = await asyncpg.connect(self.admin_dsn(), timeout=10)
        try:
            available = await conn.fetchval(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
            )
            if not available:
                raise PostgresError(
                    "the pg_trgm extension is not available; install PostgreSQL's contrib "
                    "modules (on Debian they ship with the 'postgresql' package)"
                )
            for name in services:
                role_sql = f"LOGIN PASSWORD {quote_literal(name)}"
                if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                    await conn.execute(f"ALTER ROLE {quote_ident(name)} {role_sql}")
                else:
                    await conn.execute(f"CREATE ROLE {quote_ident(name)} {role_sql}")
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                    await conn.execute(
                        f"CREATE DATABASE {quote_ident(name)} OWNER {quote_ident(name)}"
                    )
        finally:
            await conn.close()
