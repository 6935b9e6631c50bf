-- Subscriptions as the platform runs them: an operator may suspend a tenant (status
-- 'suspended', with who, when and why); a provider's payment id is unique per method when
-- present; bank transfers are recorded by reference and confirmed once by platform staff.
--
-- PostgreSQL changes the status CHECK in place.
-- backend-specific: begin
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('trialing', 'active', 'past_due', 'suspended', 'canceled'));
ALTER TABLE subscriptions ADD COLUMN suspended_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN suspended_by TEXT;
ALTER TABLE subscriptions ADD COLUMN suspended_reason TEXT;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_external_payment_key UNIQUE (payment_method, external_payment_id);
-- backend-specific: end
-- The lapse task looks for trials and periods that ended.
CREATE INDEX subscriptions_lapse_idx ON subscriptions (status, current_period_end);

-- A bank transfer paying for a subscription: submitted by the tenant's owner (pending) or
-- entered by an operator, confirmed once. The reference is the bank's: unique everywhere.
CREATE TABLE bank_transfers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed')),
    amount_minor BIGINT,
    currency TEXT,
    payer TEXT,
    proof_url TEXT,
    submitted_by TEXT,
    submitted_at BIGINT NOT NULL,
    confirmed_by TEXT,
    confirmed_by_email TEXT,
    confirmed_at BIGINT,
    period_end BIGINT,
    CONSTRAINT bank_transfers_reference_key UNIQUE (reference)
);
CREATE INDEX bank_transfers_org_idx ON bank_transfers (org_id, submitted_at);
