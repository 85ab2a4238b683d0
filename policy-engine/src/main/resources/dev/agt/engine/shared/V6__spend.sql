-- agt model spending shared by the fleet: every settled model call's cost, per budget account
-- (a budget's id and whose spending it counts), by the engine that settled it. An engine counts the others' rows in a
-- budget's window beside its own ledger, so a budget holds across hosts.

CREATE TABLE agt_spend (
    id     bigserial PRIMARY KEY,
    budget  text  NOT NULL,
    subject text  NOT NULL,
    engine text   NOT NULL,
    at     bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0)
);
CREATE INDEX agt_spend_account_at ON agt_spend (budget, subject, at);
