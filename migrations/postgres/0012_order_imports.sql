-- Order imports from CSV files (`/analytics/import`): who imported what and when, and the
-- report shown afterwards — the lines rejected, each with its line number and reason.
CREATE TABLE order_imports (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    filename TEXT NOT NULL,
    lines BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL,
    -- JSON: [{"line": 7, "message": "…"}, …], the first 1,000 rejections.
    errors TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX order_imports_recent ON order_imports (org_id, created_at);
