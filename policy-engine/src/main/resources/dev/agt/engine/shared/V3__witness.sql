-- agt witness state: for each witness key and each log it follows, the checkpoint it last cosigned,
-- and the forks it refused with both signed checkpoints as evidence. Applied by 'agt state migrate'.

CREATE TABLE agt_witness_state (
    witness    text   NOT NULL,
    origin     text   NOT NULL,
    size       bigint NOT NULL CHECK (size >= 0),
    root       bytea  NOT NULL,
    note       text   NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (witness, origin)
);

-- A witness never goes back: a smaller size for a log is refused whoever writes it.
CREATE FUNCTION agt_witness_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root <> OLD.root) THEN
        RAISE EXCEPTION 'agt: witness % would go back on log % from size % to %', OLD.witness, OLD.origin, OLD.size, NEW.size
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agt_witness_state_forward BEFORE UPDATE ON agt_witness_state
    FOR EACH ROW EXECUTE FUNCTION agt_witness_forward();

CREATE TABLE agt_witness_forks (
    id       bigserial PRIMARY KEY,
    witness  text NOT NULL,
    origin   text NOT NULL,
    cosigned text NOT NULL,
    offered  text NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now()
);
