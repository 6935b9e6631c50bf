-- A count of the changes to an organization's analytics rollups: every writer of the rollups
-- (orders recorded, a rebuild's steps) takes the organization's row lock to write and adds
-- one in the same statement. Readers that keep figures in memory key them on it, so figures
-- read before a change are never served after it.
ALTER TABLE organizations ADD COLUMN analytics_version BIGINT NOT NULL DEFAULT 0;
