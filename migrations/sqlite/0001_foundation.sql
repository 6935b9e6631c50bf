-- Foundation: accounts, organizations, memberships, roles, subscriptions, sessions,
-- login throttling and the audit log.
--
-- Portable conventions (the same DDL as ../postgres/, but for the append-only trigger): ids are application-made TEXT
-- (random UUIDs), flags are BIGINT 0/1, instants are BIGINT unix seconds (UTC). Every
-- tenant-owned table carries org_id NOT NULL.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    platform_staff BIGINT NOT NULL DEFAULT 0 CHECK (platform_staff IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Asia/Kolkata',
    currency TEXT NOT NULL DEFAULT 'INR',
    onboarding_state TEXT NOT NULL DEFAULT 'pending' CHECK (onboarding_state IN ('pending', 'complete')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);

CREATE TABLE subscriptions (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    plan TEXT NOT NULL CHECK (plan IN ('trial', 'starter', 'business', 'enterprise')),
    status TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    payment_method TEXT CHECK (payment_method IN ('stripe', 'paypal', 'bank_transfer')),
    external_payment_id TEXT,
    trial_ends_at BIGINT,
    current_period_end BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every organization has one row per built-in role (permissions live in code) and any
-- number of custom roles (permissions stored as space-separated keys).
CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role_key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    builtin BIGINT NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    permissions TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT roles_org_key_key UNIQUE (org_id, role_key),
    CONSTRAINT roles_org_id_key UNIQUE (org_id, id)
);

CREATE TABLE memberships (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL,
    last_active_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT memberships_org_user_key UNIQUE (org_id, user_id),
    -- The role must belong to the same organization; a role in use cannot be deleted.
    CONSTRAINT memberships_role_fkey FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX memberships_role_idx ON memberships (org_id, role_id);

-- Sessions are looked up by the SHA-256 of the cookie token; the token itself is never stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active_org_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    mfa_verified_at BIGINT,
    ip TEXT,
    user_agent TEXT,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed sign-ins per account (keyed by a hash of the email) and per IP address.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

-- The audit log: append-only, hash-chained per organization ('platform' for events outside
-- any organization). No code path updates or deletes these rows.
CREATE TABLE audit_chains (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    org_id TEXT REFERENCES organizations (id),
    actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
    reason TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT audit_events_chain_seq_key UNIQUE (chain, seq)
);
CREATE INDEX audit_events_org_time_idx ON audit_events (org_id, created_at);

-- Append-only, enforced by the database as well as by the code.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
