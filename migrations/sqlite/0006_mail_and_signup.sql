-- Secrets in mail (links, codes) are sealed with the server key; operators see `body`, which
-- has the secret replaced. The sealed copy is deleted once sent or once the secret expired.
ALTER TABLE outbox ADD COLUMN sealed_body TEXT;
-- invitation, sign_up, step_up_code or notice: what caps count and operators filter by.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'notice';
ALTER TABLE outbox ADD COLUMN secret_expires_at BIGINT;

-- A sign-up waits here until its address is confirmed by the link mailed to it; only then
-- are the account and its organization created. The same answer and a mail go to an address
-- that already has an account, so sign-up never tells whether one exists.
CREATE TABLE signup_requests (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    organization TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX signup_requests_expires_idx ON signup_requests (expires_at);
CREATE INDEX outbox_org_kind_idx ON outbox (org_id, kind, created_at);
