"""Schema migrations with Alembic, one history per service.

Each service keeps its migrations in its package (``<service>/migrations``, with
``env.py`` calling :func:`run_alembic_env`), so the same files ship in its image.
``sawt-migrate <service>`` applies them; the local stack and the tests call
:func:`upgrade_to_head`. Migrations are written as plain SQL scripts through
``op.execute``: the services talk to PostgreSQL with asyncpg, and SQLAlchemy is
only Alembic's connection layer here. Alembic connects with psycopg, whose simple
query protocol runs a script of several statements in one ``op.execute`` (asyncpg
prepares every statement and refuses that).
"""

from __future__ import annotations

import argparse
import os
import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, engine_from_config, pool

__all__ = [
    "MIGRATION_LOCK",
    "alembic_config",
    "main",
    "run_alembic_env",
    "sqlalchemy_url",
    "upgrade_to_head",
]


def sqlalchemy_url(database_url: str) -> str:
    """The service's DSN as SQLAlchemy names it for psycopg (``postgresql+psycopg://``)."""
    for scheme in ("postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url[len(scheme) :]
    return database_url


def alembic_config(service: str, database_url: str) -> Config:
    """An Alembic configuration for ``service``'s migrations against ``database_url``."""
    cfg = Config()
    cfg.set_main_option("script_location", f"{service}:migrations")
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    cfg.set_main_option("version_table", "alembic_version")
    return cfg


def upgrade_to_head(service: str, database_url: str) -> None:
    """Apply every migration of ``service`` that the database lacks."""
    command.upgrade(alembic_config(service, database_url), "head")


#: Key of the session advisory lock held while migrating, so two ``sawt-migrate`` runs
#: (two pods' jobs, or ``up`` and a test) never apply the same migration at once.
MIGRATION_LOCK = 0x5A17_0001


def _run_sync(connection: Connection) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    connection.commit()
    try:
        context.configure(
            connection=connection, target_metadata=None, transaction_per_migration=True
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.rollback()
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
        connection.commit()


def _run_online(cfg: Config) -> None:
    engine = engine_from_config(
        cfg.get_section(cfg.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        _run_sync(connection)
    engine.dispose()


def run_alembic_env() -> None:
    """The body of every service's ``migrations/env.py``."""
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    _run_online(context.config)


def main(argv: list[str] | None = None) -> int:
    """``sawt-migrate SERVICE [upgrade|current|history|revision -m MSG]``."""
    parser = argparse.ArgumentParser(
        prog="sawt-migrate", description="Apply or author a Sawt service's schema migrations."
    )
    parser.add_argument(
        "service", choices=["identity", "petitions", "consultations", "notifications"]
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="upgrade",
        choices=["upgrade", "current", "history", "revision"],
    )
    parser.add_argument("-m", "--message", help="Message of a new revision.")
    parser.add_argument("--database-url", help="Defaults to <SERVICE>_DATABASE_URL.")
    args = parser.parse_args(argv)
    url = args.database_url or os.environ.get(f"{args.service.upper()}_DATABASE_URL")
    if not url:
        print(f"set {args.service.upper()}_DATABASE_URL or pass --database-url", file=sys.stderr)
        return 2
    cfg = alembic_config(args.service, url)
    if args.action == "upgrade":
        command.upgrade(cfg, "head")
    elif args.action == "current":
        command.current(cfg, verbose=True)
    elif args.action == "history":
        command.history(cfg)
    else:
        if not args.message:
            parser.error("revision needs -m MESSAGE")
        command.revision(cfg, message=args.message)
    return 0
