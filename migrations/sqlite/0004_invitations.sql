-- Invitations to join an organization with a role. The link's token is stored only as its
-- SHA-256; an invitation is used once. "Expired" is not stored: it is a pending invitation
-- whose expires_at has passed.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role_id TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
    days_valid BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    sent_count BIGINT NOT NULL DEFAULT 1,
    accepted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    accepted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_role_fkey FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX invitations_org_idx ON invitations (org_id, status, created_at);
-- At most one pending invitation per address and organization.
CREATE UNIQUE INDEX invitations_pending_key ON invitations (org_id, email) WHERE status = 'pending';
