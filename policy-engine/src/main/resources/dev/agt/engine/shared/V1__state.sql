-- agt shared state: what every engine of a fleet reads and changes together.
-- Applied by 'agt state migrate'; never edit a migration that has been applied (its SHA-256 is recorded).

-- The kill switch: one row for 'all', one row per stopped agent (a name or a DID).
CREATE TABLE agt_kill_switch (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    all_agents boolean NOT NULL DEFAULT false,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT ''
);
INSERT INTO agt_kill_switch (id) VALUES (true);

-- The switch's one row is never deleted: an engine reading no row would know nothing of kill --all.
-- (Every one-row table of agt's is kept by this function.)
CREATE FUNCTION agt_keep_one_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agt: % on % is refused: update its one row instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER agt_kill_switch_kept BEFORE DELETE ON agt_kill_switch
    FOR EACH ROW EXECUTE FUNCTION agt_keep_one_row();
CREATE TRIGGER agt_kill_switch_not_truncated BEFORE TRUNCATE ON agt_kill_switch
    FOR EACH STATEMENT EXECUTE FUNCTION agt_keep_one_row();

CREATE TABLE agt_killed_agents (
    agent     text PRIMARY KEY CHECK (agent <> ''),
    killed_at timestamptz NOT NULL DEFAULT now(),
    killed_by text NOT NULL
);

-- Identities (DIDs or registry names) revoked for the whole fleet, on top of each host's registry.
CREATE TABLE agt_revocations (
    agent      text PRIMARY KEY CHECK (agent <> ''),
    revoked_at timestamptz NOT NULL DEFAULT now(),
    revoked_by text NOT NULL,
    reason     text NOT NULL DEFAULT ''
);

-- Every change to the kill switch or the revocations tells every listening engine at once.
CREATE FUNCTION agt_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agt_state', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER agt_kill_switch_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agt_kill_switch
    FOR EACH STATEMENT EXECUTE FUNCTION agt_state_changed();
CREATE TRIGGER agt_killed_agents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agt_killed_agents
    FOR EACH STATEMENT EXECUTE FUNCTION agt_state_changed();
CREATE TRIGGER agt_revocations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agt_revocations
    FOR EACH STATEMENT EXECUTE FUNCTION agt_state_changed();

-- Rate-limit token buckets, one per (rule, limit, agent), counted on the database's clock so that
-- the engines' clocks do not matter.
CREATE TABLE agt_rate_buckets (
    key     text PRIMARY KEY,
    tokens  double precision NOT NULL,
    updated timestamptz NOT NULL
);

-- Takes one token from bucket k (capacity cap, one token back every per_token seconds): true when
-- taken. The row lock serialises engines taking from the same bucket.
CREATE FUNCTION agt_take_token(k text, cap double precision, per_token double precision) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    now_at timestamptz := clock_timestamp();
    remaining double precision;
BEGIN
    INSERT INTO agt_rate_buckets AS b (key, tokens, updated) VALUES (k, cap - 1, now_at)
    ON CONFLICT (key) DO UPDATE
        SET tokens = least(cap, b.tokens + greatest(0, extract(epoch FROM now_at - b.updated)) / per_token) - 1,
            updated = greatest(b.updated, now_at)
    RETURNING tokens INTO remaining;
    IF remaining < 0 THEN
        UPDATE agt_rate_buckets SET tokens = remaining + 1 WHERE key = k;
        RETURN false;
    END IF;
    RETURN true;
END $$;
