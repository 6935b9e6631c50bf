-- A change of the organization's timezone rebuilds its analytics in the background. Until the
-- rebuild ends, the rollups stay in the zone they were built in (`analytics_timezone`; NULL
-- when it is the organization's timezone) and are served, labelled, while the new ones are
-- built beside them.
ALTER TABLE organizations ADD COLUMN analytics_timezone TEXT;

-- One rebuild per organization: orders up to the cursor (placed_at, id) are counted in the
-- new rollups; writers of older orders add to both.
CREATE TABLE analytics_rebuilds (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    timezone TEXT NOT NULL,
    cursor_placed_at BIGINT NOT NULL,
    cursor_id TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The rollups being built in the new zone, swapped in when the rebuild ends.
CREATE TABLE analytics_daily_next (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    orders BIGINT NOT NULL DEFAULT 0,
    items BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    refunds BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);
CREATE TABLE analytics_daily_product_next (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, product_id)
);
