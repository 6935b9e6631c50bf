-- The audit log is kept for a number of days per organization (at least 90) and pruned
-- from its start. A prune deletes only under a permit written in its own transaction, and
-- leaves a checkpoint event carrying the hash of the last pruned event, so the chain stays
-- verifiable. Anything else still cannot change or delete an event.
ALTER TABLE organizations ADD COLUMN audit_retention_days BIGINT NOT NULL DEFAULT 400
    CHECK (audit_retention_days >= 90);

CREATE TABLE audit_prune_permits (
    chain TEXT PRIMARY KEY,
    through_seq BIGINT NOT NULL
);

-- backend-specific: begin
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permits p WHERE p.chain = OLD.chain AND OLD.seq <= p.through_seq)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
-- backend-specific: end

-- Anonymous refusals are counted per address and minute and written to the log as one
-- event per address and minute (with the count) once the minute is over.
CREATE TABLE anonymous_denials (
    ip TEXT NOT NULL,
    minute BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    first_target TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (ip, minute)
);
