"""Channels, petitions, sponsors, signatures, folded counts, thresholds, responses,
the identity read model and idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The read model built from identity.* events ------------------------------------
CREATE TABLE citizens (
    user_id      uuid PRIMARY KEY,
    region       text,
    assurance    text NOT NULL DEFAULT 'none' CHECK (assurance IN ('none', 'email', 'eid')),
    display_name text,
    deleted_at   timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    organization_id uuid PRIMARY KEY,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('association', 'public_body')),
    verified        boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_members (
    organization_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    role            text NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

-- Channels: the rules of a kind of petition, as data --------------------------------
CREATE TABLE channels (
    slug                   text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]{1,62}$'),
    name                   jsonb NOT NULL,
    description            jsonb NOT NULL,
    authority              jsonb NOT NULL,
    target_organization_id uuid,
    min_sponsors           integer NOT NULL CHECK (min_sponsors >= 0),
    max_sponsors           integer NOT NULL,
    duration_days          integer NOT NULL CHECK (duration_days > 0),
    thresholds             jsonb NOT NULL,
    signer_assurance       text NOT NULL CHECK (signer_assurance IN ('email', 'eid')),
    region_restricted      boolean NOT NULL DEFAULT false,
    excluded_subjects      jsonb NOT NULL DEFAULT '[]',
    active                 boolean NOT NULL DEFAULT true,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (max_sponsors >= min_sponsors)
);

CREATE TABLE channel_audit (
    id       bigserial PRIMARY KEY,
    channel  text NOT NULL,
    action   text NOT NULL,
    actor_id text,
    before   jsonb,
    after    jsonb NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);

-- Petitions ---------------------------------------------------------------------------
CREATE TABLE petitions (
    id                      uuid PRIMARY KEY,
    channel                 text NOT NULL REFERENCES channels (slug),
    rules                   jsonb NOT NULL,
    creator_id              uuid NOT NULL,
    target_organization_id  uuid,
    state                   text NOT NULL CHECK (state IN (
        'draft', 'collecting_sponsors', 'awaiting_moderation', 'open', 'closed',
        'responded', 'debated', 'rejected', 'hidden')),
    language                text NOT NULL,
    title                   jsonb NOT NULL,
    body                    jsonb NOT NULL,
    subject                 text NOT NULL,
    region                  text,
    sponsors                integer NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    submitted_at            timestamptz,
    moderation_requested_at timestamptz,
    opened_at               timestamptz,
    closes_at               timestamptz,
    closed_at               timestamptz,
    responded_at            timestamptz,
    rejection_reason        text,
    rejection_explanation   text,
    hidden_at               timestamptz,
    hidden_from             text,
    title_text              text NOT NULL DEFAULT '',
    search_text             text NOT NULL DEFAULT '',
    search                  tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED
);
CREATE INDEX petitions_public_newest ON petitions (opened_at DESC, id DESC)
    WHERE state IN ('open', 'closed', 'responded', 'debated');
CREATE INDEX petitions_moderation_queue ON petitions (moderation_requested_at, id)
    WHERE state = 'awaiting_moderation';
CREATE INDEX petitions_to_close ON petitions (closes_at) WHERE state = 'open';
CREATE INDEX petitions_creator ON petitions (creator_id, created_at);
CREATE INDEX petitions_search ON petitions USING gin (search);
CREATE INDEX petitions_title_trgm ON petitions USING gin (title_text gin_trgm_ops);
CREATE INDEX petitions_search_trgm ON petitions USING gin (search_text gin_trgm_ops);

-- ``sponsor_id`` is NULL once the sponsor deleted their account (the count stays).
CREATE TABLE sponsors (
    id           bigserial PRIMARY KEY,
    petition_id  uuid NOT NULL REFERENCES petitions (id),
    sponsor_id   uuid,
    region       text,
    sponsored_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (petition_id, sponsor_id)
);
CREATE INDEX sponsors_sponsor ON sponsors (sponsor_id);

CREATE TABLE petition_audit (
    id          bigserial PRIMARY KEY,
    petition_id uuid NOT NULL,
    action      text NOT NULL,
    actor_id    text,
    actor_role  text NOT NULL,
    from_state  text,
    to_state    text,
    detail      jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petition_audit_petition ON petition_audit (petition_id, id);

-- Signatures: written by the sign path, and nothing else there ------------------------
-- No foreign key to petitions: a foreign key check takes a KEY SHARE lock on the
-- petition's row for every signature, which is the hot row again (the batch checks
-- that the petition exists and is open instead). ``xid`` is the writing
-- transaction's id: the folder reads rows below the oldest transaction in flight.
CREATE TABLE signatures (
    id            uuid PRIMARY KEY,
    petition_id   uuid NOT NULL,
    signer_id     uuid,
    region        text,
    signed_at     timestamptz NOT NULL DEFAULT now(),
    public_name   text,
    wants_updates boolean NOT NULL DEFAULT false,
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX signatures_one_per_signer ON signatures (petition_id, signer_id);
CREATE INDEX signatures_xid ON signatures (xid);
CREATE INDEX signatures_public ON signatures (petition_id, signed_at)
    WHERE public_name IS NOT NULL;
CREATE INDEX signatures_signer ON signatures (signer_id);

CREATE TABLE signature_withdrawals (
    id            bigserial PRIMARY KEY,
    signature_id  uuid NOT NULL,
    petition_id   uuid NOT NULL,
    region        text,
    signed_at     timestamptz NOT NULL,
    withdrawn_at  timestamptz NOT NULL DEFAULT now(),
    signature_xid xid8 NOT NULL,
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX signature_withdrawals_xid ON signature_withdrawals (xid);

-- Folded counts -----------------------------------------------------------------------
CREATE TABLE petition_counts (
    petition_id uuid PRIMARY KEY,
    total       bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petition_counts_total ON petition_counts (total DESC, petition_id DESC);

CREATE TABLE petition_region_counts (
    petition_id uuid NOT NULL,
    region      text NOT NULL,
    count       bigint NOT NULL,
    PRIMARY KEY (petition_id, region)
);

CREATE TABLE petition_hour_counts (
    petition_id uuid NOT NULL,
    hour        timestamptz NOT NULL,
    count       bigint NOT NULL,
    PRIMARY KEY (petition_id, hour)
);
CREATE INDEX petition_hour_counts_hour ON petition_hour_counts (hour);

CREATE TABLE fold_state (
    id                boolean PRIMARY KEY DEFAULT true CHECK (id),
    xid_watermark     xid8 NOT NULL,
    folded_at         timestamptz NOT NULL,
    signatures_folded bigint NOT NULL DEFAULT 0,
    last_recount_at   timestamptz
);
INSERT INTO fold_state (xid_watermark, folded_at) VALUES ('0'::xid8, now());

CREATE TABLE recounts (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    watermark   xid8 NOT NULL,
    repairs     jsonb NOT NULL
);

-- Thresholds (one row each, ever) and responses ----------------------------------------
CREATE TABLE petition_thresholds (
    petition_id     uuid NOT NULL,
    threshold       text NOT NULL,
    required        bigint NOT NULL,
    signatures      bigint NOT NULL,
    triggers        text NOT NULL,
    reached_at      timestamptz NOT NULL,
    response_due_at timestamptz,
    satisfied_at    timestamptz,
    response_id     uuid,
    PRIMARY KEY (petition_id, threshold)
);
CREATE INDEX petition_thresholds_overdue ON petition_thresholds (response_due_at)
    WHERE satisfied_at IS NULL AND response_due_at IS NOT NULL;

CREATE TABLE responses (
    id              uuid PRIMARY KEY,
    petition_id     uuid NOT NULL REFERENCES petitions (id),
    kind            text NOT NULL CHECK (kind IN ('response', 'admissibility', 'debate')),
    decision        text CHECK (decision IN ('admissible', 'inadmissible')),
    organization_id uuid NOT NULL,
    author_id       uuid NOT NULL,
    language        text NOT NULL,
    summary         jsonb NOT NULL,
    body            jsonb NOT NULL,
    responded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responses_petition ON responses (petition_id, responded_at);

-- Idempotency-Key: what the first request answered, per user -------------------------
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL,
    key          text NOT NULL,
    operation    text NOT NULL,
    request_hash text NOT NULL,
    status       integer NOT NULL,
    body         jsonb NOT NULL,
    location     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
"""

TABLES = (
    "idempotency_keys",
    "responses",
    "petition_thresholds",
    "recounts",
    "fold_state",
    "petition_hour_counts",
    "petition_region_counts",
    "petition_counts",
    "signature_withdrawals",
    "signatures",
    "petition_audit",
    "sponsors",
    "petitions",
    "channel_audit",
    "channels",
    "organization_members",
    "organizations",
    "citizens",
)


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute("".join(f"DROP TABLE IF EXISTS {t};" for t in TABLES))
