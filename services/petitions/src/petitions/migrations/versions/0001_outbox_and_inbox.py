"""The outbox and inbox tables every service has.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from sawt_shared import inbox, outbox

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(outbox.SCHEMA_SQL)
    op.execute(inbox.SCHEMA_SQL)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS inbox; DROP TABLE IF EXISTS outbox;")
