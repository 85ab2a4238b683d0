-- agt MCP tool pins shared by the fleet: the fingerprint each (server, tool) had when any engine
-- first saw it listed, and what it looks like now. 'pin' and 'pinned_at' never change once
-- written (a trigger refuses it): re-pinning is an operator's act (delete the row).

CREATE TABLE agt_tool_pins (
    server    text NOT NULL,
    tool      text NOT NULL,
    pin       text NOT NULL CHECK (pin ~ '^[0-9a-f]{64}$'),
    pinned_at text NOT NULL,
    seen      text NOT NULL CHECK (seen ~ '^[0-9a-f]{64}$'),
    seen_at   text NOT NULL,
    findings  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (server, tool)
);

CREATE FUNCTION agt_pin_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.pin <> OLD.pin OR NEW.pinned_at <> OLD.pinned_at THEN
        RAISE EXCEPTION 'agt: the pin of tool % of server % is never rewritten; delete the row to pin afresh', OLD.tool, OLD.server
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agt_tool_pins_kept BEFORE UPDATE ON agt_tool_pins
    FOR EACH ROW EXECUTE FUNCTION agt_pin_kept();
