-- The head of an audit chain follows its newest event inside the event's own INSERT: the
-- writer advances the head (seq, and reads the hash before it), inserts the event, and this
-- trigger records the event's hash as the head's — one round trip less per audited action.
-- Only the event the head was advanced for moves it (same chain and seq).
CREATE FUNCTION audit_chain_head() RETURNS trigger AS $$
BEGIN
    UPDATE audit_chains SET last_hash = NEW.hash WHERE chain = NEW.chain AND seq = NEW.seq;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_chain_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head();
