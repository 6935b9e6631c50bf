-- Analytics (DESIGN §8): products, orders and their items, and the two rollups every
-- analytics answer is read from. Money is integer minor units; `placed_at` is unix seconds;
-- `local_day` is the order's day (days since 1970-01-01) in the organization's timezone,
-- computed by the application when the order is written.

-- Whether a customer allows their orders to be exported at customer level.
ALTER TABLE customers ADD COLUMN analytics_consent BIGINT NOT NULL DEFAULT 0;

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The list price (minor units); an order line keeps the price it was sold at.
    price BIGINT NOT NULL CHECK (price >= 0),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX products_sku ON products (org_id, sku);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    placed_at BIGINT NOT NULL,
    local_day BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('paid', 'refunded', 'cancelled')),
    items BIGINT NOT NULL,
    total BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Orders by their local day: the rebuild's and the benchmark's raw GROUP BY read this way.
CREATE INDEX orders_by_day ON orders (org_id, local_day);
-- Orders newest first, by cursor (the API's list).
CREATE INDEX orders_placed ON orders (org_id, placed_at, id);

CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, position)
);

-- Per organization and local day: paid orders, the items in them, their revenue, and the
-- totals of orders refunded.
CREATE TABLE analytics_daily (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    orders BIGINT NOT NULL DEFAULT 0,
    items BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    refunds BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);

-- Per organization, local day and product: quantity sold and revenue in paid orders.
CREATE TABLE analytics_daily_product (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, product_id)
);
-- One product's days: the best sellers' daily series.
CREATE INDEX analytics_daily_by_product ON analytics_daily_product (org_id, product_id, day, quantity);
