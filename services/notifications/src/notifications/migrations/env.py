"""Alembic environment: every Sawt service runs its migrations the same way."""

from sawt_shared.migrations import run_alembic_env

run_alembic_env()
