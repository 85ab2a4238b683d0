-- agt external log store: every engine's entries and signed checkpoints, in order, append-only.
-- The engine's role is granted SELECT and INSERT only; the trigger refuses UPDATE, DELETE and
-- TRUNCATE whoever asks (an owner can drop the trigger: keep the owner's credentials away from
-- the hosts that run agents).

CREATE TABLE agt_log_entries (
    engine     text   NOT NULL CHECK (engine <> ''),
    seq        bigint NOT NULL CHECK (seq >= 0),
    line       bytea  NOT NULL,
    shipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engine, seq)
);

CREATE TABLE agt_log_checkpoints (
    engine     text   NOT NULL CHECK (engine <> ''),
    size       bigint NOT NULL CHECK (size > 0),
    note       text   NOT NULL,
    shipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engine, size)
);

CREATE FUNCTION agt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agt: % on % is refused: the log store is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER agt_log_entries_append_only BEFORE UPDATE OR DELETE ON agt_log_entries
    FOR EACH ROW EXECUTE FUNCTION agt_append_only();
CREATE TRIGGER agt_log_entries_no_truncate BEFORE TRUNCATE ON agt_log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION agt_append_only();
CREATE TRIGGER agt_log_checkpoints_append_only BEFORE UPDATE OR DELETE ON agt_log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION agt_append_only();
CREATE TRIGGER agt_log_checkpoints_no_truncate BEFORE TRUNCATE ON agt_log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION agt_append_only();

-- An entry is accepted only right after the one before it: the store holds no gaps.
CREATE FUNCTION agt_log_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq > 0 AND NOT EXISTS (SELECT 1 FROM agt_log_entries WHERE engine = NEW.engine AND seq = NEW.seq - 1) THEN
        RAISE EXCEPTION 'agt: entry % of engine % arrives before entry %', NEW.seq, NEW.engine, NEW.seq - 1
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agt_log_entries_in_order BEFORE INSERT ON agt_log_entries
    FOR EACH ROW EXECUTE FUNCTION agt_log_in_order();
