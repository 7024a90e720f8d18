"""Accounts, sessions, organisations, OAuth clients, codes, tokens, signing keys, eID.

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
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text,
    email_normalized  text UNIQUE,
    email_verified_at timestamptz,
    password_hash     text,
    display_name      text NOT NULL,
    language          text NOT NULL CHECK (language IN ('ar', 'fr', 'en', 'zgh')),
    region            text NOT NULL,
    assurance         text NOT NULL DEFAULT 'none' CHECK (assurance IN ('none', 'email', 'eid')),
    roles             text[] NOT NULL DEFAULT '{}',
    eid_subject_hash  bytea UNIQUE,
    eid_verified_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);

-- Email verification, email change and password reset: random tokens stored hashed,
-- single use, expiring; the short code is an HMAC keyed by the server secret.
CREATE TABLE user_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    token_hash  bytea NOT NULL UNIQUE,
    code_hash   bytea,
    new_email   text,
    attempts    integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_open ON user_tokens (user_id, purpose) WHERE used_at IS NULL;

CREATE TABLE login_sessions (
    id          uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr         text[] NOT NULL,
    auth_time   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_sessions_user ON login_sessions (user_id);

CREATE TABLE organizations (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('association', 'public_body')),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    verified_at  timestamptz,
    verified_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email_normalized text NOT NULL,
    role             text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    token_hash       bytea NOT NULL UNIQUE,
    invited_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

CREATE TABLE oauth_clients (
    client_id      text PRIMARY KEY,
    name           text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('public', 'confidential')),
    secret_hash    bytea,
    redirect_uris  text[] NOT NULL DEFAULT '{}',
    allowed_scopes text[] NOT NULL DEFAULT '{}',
    grant_types    text[] NOT NULL DEFAULT '{}',
    first_party    boolean NOT NULL DEFAULT false,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    CHECK ((kind = 'public') = (secret_hash IS NULL))
);

CREATE TABLE authorization_codes (
    code_hash             bytea PRIMARY KEY,
    family_id             uuid NOT NULL,
    client_id             text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri          text NOT NULL,
    scope                 text NOT NULL,
    nonce                 text,
    code_challenge        text NOT NULL,
    code_challenge_method text NOT NULL,
    auth_time             timestamptz NOT NULL,
    amr                   text[] NOT NULL DEFAULT '{}',
    acr                   text,
    expires_at            timestamptz NOT NULL,
    used_at               timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authorization_codes_nonce ON authorization_codes (client_id, nonce);

-- One row per token response: the access token by its jti (the JWT itself is not
-- stored), the refresh token by its hash. A refresh rotates inside its family.
CREATE TABLE oauth_tokens (
    id                 uuid PRIMARY KEY,
    family_id          uuid NOT NULL,
    client_id          text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id            uuid REFERENCES users (id) ON DELETE CASCADE,
    grant_type         text NOT NULL,
    scope              text NOT NULL,
    access_jti         text NOT NULL UNIQUE,
    access_expires_at  timestamptz NOT NULL,
    access_revoked_at  timestamptz,
    refresh_token_hash bytea UNIQUE,
    refresh_expires_at timestamptz,
    rotated_at         timestamptz,
    revoked_at         timestamptz,
    auth_time          timestamptz,
    amr                text[] NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);

-- The signing key is the latest one whose activation time has come. A rotation
-- publishes the next key ahead of its activation, and keeps the previous ones
-- published until every token they signed has expired.
CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    alg                   text NOT NULL,
    public_jwk            jsonb NOT NULL,
    private_jwk_encrypted bytea NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    activated_at          timestamptz NOT NULL DEFAULT now(),
    retired_at            timestamptz,
    publish_until         timestamptz
);
CREATE INDEX signing_keys_activated ON signing_keys (activated_at);

CREATE TABLE eid_logins (
    state_hash    bytea PRIMARY KEY,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    user_id       uuid REFERENCES users (id) ON DELETE CASCADE,
    next_url      text NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute(
        "DROP TABLE eid_logins, signing_keys, oauth_tokens, authorization_codes, "
        "oauth_clients, audit_log, invitations, memberships, organizations, "
        "login_sessions, user_tokens, users"
    )
