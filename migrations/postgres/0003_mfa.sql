-- Two-factor authentication, step-up, session management and the mail outbox.

-- TOTP secrets are stored encrypted (XChaCha20-Poly1305 under GATEHOUSE_SECRET_KEY, bound to
-- the user id): a database dump alone does not reveal them.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- An enrollment waiting for its first code.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The last accepted TOTP time step: a code is accepted once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- The analytics step-up PIN, hashed like a password.
ALTER TABLE users ADD COLUMN analytics_pin_hash TEXT;
ALTER TABLE users ADD COLUMN step_up_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN step_up_locked_until BIGINT;

-- Until when this session's step-up unlock lasts.
ALTER TABLE sessions ADD COLUMN step_up_until BIGINT;
-- Sessions created before this instant may no longer act in the organization (forced sign-out).
ALTER TABLE memberships ADD COLUMN sessions_valid_after BIGINT;

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT recovery_codes_user_hash_key UNIQUE (user_id, code_hash)
);

-- A password accepted, the second factor still due: the browser holds the token (hashed here).
CREATE TABLE mfa_challenges (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT mfa_challenges_token_hash_key UNIQUE (token_hash)
);

-- One-time codes sent by email (step-up), hashed.
CREATE TABLE email_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX email_codes_user_idx ON email_codes (user_id, purpose);

-- Every email goes through here; a relay sends it by SMTP when one is configured.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES organizations (id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_unsent_idx ON outbox (sent_at, created_at);
