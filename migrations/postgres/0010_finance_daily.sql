-- The finance rollup: money invoiced, collected and refunded per organization and local day
-- (days since 1970-01-01 in the organization's timezone), kept by the transactions that move
-- the money. The dashboard reads it instead of scanning invoices, payments and refunds.
CREATE TABLE finance_daily (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    invoiced BIGINT NOT NULL DEFAULT 0,
    collected BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);

-- What is still owed on issued and partly paid invoices, per organization and due day (a
-- local date, so no timezone is involved): outstanding is the sum, overdue the part due
-- before today. Kept by the transactions that issue, void, pay or change an invoice.
CREATE TABLE finance_due (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    due_day BIGINT NOT NULL,
    open_amount BIGINT NOT NULL DEFAULT 0,
    open_invoices BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, due_day)
);

-- The dashboard's sums read these; the rollups replace them.
DROP INDEX invoices_issued;
DROP INDEX payments_collected;
DROP INDEX invoices_open;
