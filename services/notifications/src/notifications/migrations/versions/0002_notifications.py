"""Recipients read model, messages, email deliveries, fan-outs, feed, webhooks, preferences.

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


def upgrade() -> None:
    op.execute(
        """
-- Who can be reached: a read model of identity.events.
CREATE TABLE recipients (
    user_id        uuid PRIMARY KEY,
    email          text,
    display_name   text        NOT NULL DEFAULT '',
    language       text        NOT NULL DEFAULT 'ar',
    email_verified boolean     NOT NULL DEFAULT false,
    deleted_at     timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What a message about a petition needs to say: a read model of petitions.events.
CREATE TABLE petitions (
    petition_id uuid PRIMARY KEY,
    creator_id  uuid        NOT NULL,
    title       jsonb       NOT NULL,
    language    text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Signers of a petition, and whether they asked to hear of it (petition.signed / withdrawn).
CREATE TABLE petition_followers (
    petition_id   uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    wants_updates boolean     NOT NULL,
    since         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (petition_id, user_id)
);
CREATE INDEX petition_followers_opted_in ON petition_followers (petition_id, user_id)
    WHERE wants_updates;

-- What a user chose to receive, per category and channel (no row: everything).
CREATE TABLE preferences (
    user_id    uuid        NOT NULL,
    category   text        NOT NULL,
    email      boolean     NOT NULL DEFAULT true,
    in_app     boolean     NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, category)
);

-- Addresses that are not users (sponsor requests, invitations) and unsubscribed.
CREATE TABLE email_opt_outs (
    address    text        NOT NULL,
    category   text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (address, category)
);

-- One message per event and kind; rendered in each recipient's language when sent.
CREATE TABLE messages (
    id         bigserial PRIMARY KEY,
    event_id   uuid        NOT NULL,
    event_type text        NOT NULL,
    kind       text        NOT NULL,
    category   text        NOT NULL,
    params     jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, kind)
);

-- One row per (event, recipient): recorded before the mail is attempted.
CREATE TABLE email_deliveries (
    id              bigserial PRIMARY KEY,
    message_id      bigint      NOT NULL REFERENCES messages (id),
    event_id        uuid        NOT NULL,
    recipient       text        NOT NULL,
    user_id         uuid,
    address         text,
    language        text,
    status          text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (event_id, recipient)
);
CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX email_deliveries_message ON email_deliveries (message_id, status);
CREATE INDEX email_deliveries_user ON email_deliveries (user_id) WHERE user_id IS NOT NULL;

-- A message to many (every signer who opted in): expanded into deliveries batch by batch.
CREATE TABLE fanouts (
    id          bigserial PRIMARY KEY,
    message_id  bigint      NOT NULL UNIQUE REFERENCES messages (id),
    petition_id uuid        NOT NULL,
    audience    text        NOT NULL CHECK (audience IN ('followers')),
    position    uuid,
    queued      integer     NOT NULL DEFAULT 0,
    done_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fanouts_open ON fanouts (id) WHERE done_at IS NULL;

-- The in-app feed.
CREATE TABLE feed_items (
    id         bigserial PRIMARY KEY,
    user_id    uuid        NOT NULL,
    event_id   uuid        NOT NULL,
    message_id bigint      NOT NULL REFERENCES messages (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    UNIQUE (event_id, user_id)
);
CREATE INDEX feed_items_user ON feed_items (user_id, id DESC);
CREATE INDEX feed_items_unread ON feed_items (user_id) WHERE read_at IS NULL;

-- Webhooks of organisations and government clients.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    owner           text        NOT NULL,
    url             text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    event_types     text[]      NOT NULL,
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text,
    disabled_at     timestamptz,
    failing_since   timestamptz,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, idempotency_key)
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, created_at, id);
CREATE INDEX webhook_endpoints_types ON webhook_endpoints USING gin (event_types) WHERE enabled;

CREATE TABLE webhook_secrets (
    id          bigserial PRIMARY KEY,
    endpoint_id uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    secret      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);
CREATE INDEX webhook_secrets_endpoint ON webhook_secrets (endpoint_id);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    payload         text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  bigint      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    error        text,
    duration_ms  integer     NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
"""
    )


def downgrade() -> None:
    op.execute(
        """
DROP TABLE IF EXISTS webhook_attempts, webhook_deliveries, webhook_secrets, webhook_endpoints,
    feed_items, fanouts, email_deliveries, messages, email_opt_outs, preferences,
    petition_followers, petitions, recipients;
"""
    )
