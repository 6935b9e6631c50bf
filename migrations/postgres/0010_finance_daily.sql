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

-- The dashboard's month-by-month sums read these; the rollup replaces them.
DROP INDEX invoices_issued;
DROP INDEX payments_collected;
