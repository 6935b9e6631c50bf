-- Finance, second part: pending edits of issued invoices, payments and refunds. Money is
-- integer minor units in the invoice's currency; instants are unix seconds.

-- Above this many minor units a refund needs two different approvers (NULL: one is enough).
ALTER TABLE organizations ADD COLUMN refund_two_approvals_above BIGINT;

-- A change to an issued invoice, waiting for an approver: the content it proposes, the
-- version it was based on (an approval of another edit supersedes it), who asked and why.
CREATE TABLE invoice_edits (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    base_version BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    due_day BIGINT NOT NULL,
    -- The proposed lines, as JSON (they become invoice_lines of a new version on approval).
    lines TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    requested_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    requested_at BIGINT NOT NULL,
    decided_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at BIGINT,
    decision_reason TEXT
);
CREATE INDEX invoice_edits_by_invoice ON invoice_edits (invoice_id, requested_at);
CREATE INDEX invoice_edits_by_status ON invoice_edits (org_id, status, requested_at);

-- Money received on an invoice. Card and PayPal payments count when recorded; a bank
-- transfer counts once someone confirms it arrived. A reference is recorded once per method
-- in an organization, so the same transfer confirmed twice is one payment.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    method TEXT NOT NULL CHECK (method IN ('card', 'bank_transfer', 'paypal')),
    external_reference TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'confirmed')),
    recorded_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    recorded_at BIGINT NOT NULL,
    confirmed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    confirmed_at BIGINT
);
CREATE UNIQUE INDEX payments_reference_key ON payments (org_id, method, external_reference);
CREATE INDEX payments_by_invoice ON payments (invoice_id, recorded_at);
CREATE INDEX payments_by_org ON payments (org_id, recorded_at, id);
-- Transfers awaiting confirmation, newest first; money collected per month (covering).
CREATE INDEX payments_by_status ON payments (org_id, status, recorded_at, id);
CREATE INDEX payments_collected ON payments (org_id, status, confirmed_at, amount);

-- The invoice list filtered by state, newest first; what is open and overdue, and what was
-- invoiced per month, read from the index alone (the dashboard).
CREATE INDEX invoices_by_status ON invoices (org_id, status, created_at, id);
CREATE INDEX invoices_open ON invoices (org_id, status, due_day, total, paid);
CREATE INDEX invoices_issued ON invoices (org_id, issued_at, total, status);

-- Refunds under maker-checker: asked by one person, approved (by two different people above
-- the organization's threshold) or rejected by others, expiring unanswered after 14 days,
-- executed once the money went back. Who and when at every step.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'approved', 'rejected', 'expired', 'executed')),
    approvals_needed BIGINT NOT NULL CHECK (approvals_needed IN (1, 2)),
    requested_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    requested_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    first_approved_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    first_approved_at BIGINT,
    approved_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    approved_at BIGINT,
    rejected_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    rejected_at BIGINT,
    reject_reason TEXT,
    expired_at BIGINT,
    executed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    executed_at BIGINT,
    external_reference TEXT
);
CREATE INDEX refunds_by_invoice ON refunds (invoice_id, requested_at);
CREATE INDEX refunds_by_status ON refunds (org_id, status, requested_at, id);
