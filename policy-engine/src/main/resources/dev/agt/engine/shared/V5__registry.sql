-- agt agent registry shared by the fleet: one document, in the format of the registry file, that
-- 'agt identity create/revoke --registry postgresql://...' changes and every engine given
-- --state reads again on each change. Its one row is never deleted (an engine reading no
-- registry would forget every revocation in it).

CREATE TABLE agt_registry (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    document   text   NOT NULL,
    version    bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT ''
);
INSERT INTO agt_registry (id, document) VALUES (true, E'{\n  "version": 1,\n  "agents": []\n}\n');

CREATE TRIGGER agt_registry_kept BEFORE DELETE ON agt_registry
    FOR EACH ROW EXECUTE FUNCTION agt_keep_one_row();
CREATE TRIGGER agt_registry_not_truncated BEFORE TRUNCATE ON agt_registry
    FOR EACH STATEMENT EXECUTE FUNCTION agt_keep_one_row();
CREATE TRIGGER agt_registry_changed AFTER INSERT OR UPDATE ON agt_registry
    FOR EACH STATEMENT EXECUTE FUNCTION agt_state_changed();
