-- Per-user grants of individual permissions on top of the role (chiefly analytics), and the
-- MFA enrollment state the effective permissions depend on.

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    granted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT,
    CONSTRAINT grants_org_user_permission_key UNIQUE (org_id, user_id, permission)
);
CREATE INDEX grants_org_user_idx ON grants (org_id, user_id);

-- Set when a TOTP enrollment is confirmed by its first code; NULL means not enrolled.
ALTER TABLE users ADD COLUMN mfa_enrolled_at BIGINT;
