"""Counts folded from a queue of per-batch deltas instead of a transaction-id watermark.

The watermark at the snapshot's xmin was exact, but it waited for the oldest writing
transaction of the whole cluster: one outbox relay stuck on an unreachable broker
(its transaction holds row locks while it waits) froze every count. Each sign batch
now also appends its deltas, summed per petition, region and hour, to
``fold_queue``; the folder takes the committed rows (``DELETE … RETURNING``), so
a transaction still in flight is simply not seen yet, and nothing else matters.

Signatures and withdrawals not folded yet under the old scheme are queued here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE fold_queue (
            id          bigserial PRIMARY KEY,
            petition_id uuid NOT NULL,
            region      text NOT NULL,
            hour        timestamptz NOT NULL,
            delta       integer NOT NULL
        );

        INSERT INTO fold_queue (petition_id, region, hour, delta)
        SELECT s.petition_id, coalesce(s.region, ''), date_trunc('hour', s.signed_at, 'UTC'),
               count(*)
        FROM signatures s, fold_state f
        WHERE s.xid >= f.xid_watermark
        GROUP BY 1, 2, 3;

        INSERT INTO fold_queue (petition_id, region, hour, delta)
        SELECT w.petition_id, coalesce(w.region, ''), date_trunc('hour', w.signed_at, 'UTC'),
               -count(*)
        FROM signature_withdrawals w, fold_state f
        WHERE w.xid >= f.xid_watermark AND w.signature_xid < f.xid_watermark
        GROUP BY 1, 2, 3;

        DROP INDEX signatures_xid;
        ALTER TABLE signatures DROP COLUMN xid;
        DROP TABLE signature_withdrawals;
        ALTER TABLE fold_state DROP COLUMN xid_watermark;
        ALTER TABLE recounts DROP COLUMN watermark;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the watermark cannot be rebuilt; restore from a backup")
