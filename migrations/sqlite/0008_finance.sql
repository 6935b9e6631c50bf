-- Finance: customers, invoices with their lines per version, and the per-year invoice
-- counter. Money is integer minor units in the organization's currency; due dates are
-- local days (days since 1970-01-01 in the organization's timezone).

-- Name, email, phone and address are personal data: only holders of customers.pii.read
-- see them unmasked, and each reveal is audited.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    marketing_consent BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_by_org ON customers (org_id, name, id);

-- The next number of each organization's invoices in a year, taken by an upsert (which
-- holds the row lock) in the transaction that issues: numbers are gapless and never repeat.
CREATE TABLE invoice_counters (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    next_number BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    number TEXT,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'issued', 'partially_paid', 'paid', 'void')),
    currency TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    subtotal BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0 CHECK (paid >= 0),
    refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    issued_at BIGINT,
    voided_at BIGINT,
    void_reason TEXT,
    updated_at BIGINT NOT NULL,
    CHECK ((status = 'draft') = (number IS NULL))
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (org_id, number);
CREATE INDEX invoices_by_org ON invoices (org_id, created_at, id);
CREATE INDEX invoices_by_customer ON invoices (customer_id);

-- An invoice's lines, kept for every version (an approved edit adds a version).
CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    position BIGINT NOT NULL,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    tax_bp BIGINT NOT NULL CHECK (tax_bp >= 0 AND tax_bp <= 10000),
    PRIMARY KEY (invoice_id, version, position)
);
