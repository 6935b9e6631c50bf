-- Subscriptions as the platform runs them: an operator may suspend a tenant (status
-- 'suspended', with who, when and why); a provider's payment id is unique per method when
-- present; bank transfers are recorded by reference and confirmed once by platform staff.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (nothing refers to it).
-- backend-specific: begin
CREATE TABLE subscriptions_new (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    plan TEXT NOT NULL CHECK (plan IN ('trial', 'starter', 'business', 'enterprise')),
    status TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'suspended', 'canceled')),
    payment_method TEXT CHECK (payment_method IN ('stripe', 'paypal', 'bank_transfer')),
    external_payment_id TEXT,
    trial_ends_at BIGINT,
    current_period_end BIGINT,
    suspended_at BIGINT,
    suspended_by TEXT,
    suspended_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT subscriptions_external_payment_key UNIQUE (payment_method, external_payment_id)
);
INSERT INTO subscriptions_new (org_id, plan, status, payment_method, external_payment_id, trial_ends_at,
    current_period_end, created_at, updated_at)
SELECT org_id, plan, status, payment_method, external_payment_id, trial_ends_at, current_period_end,
    created_at, updated_at
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
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
