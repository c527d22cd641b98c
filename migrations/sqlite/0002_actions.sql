-- Executed plans (actions) and the idempotency keys of their executes.
CREATE TABLE actions (
    id          TEXT    PRIMARY KEY,
    plan_id     TEXT    NOT NULL,
    incident_id INTEGER,
    state       TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    action      TEXT    NOT NULL,  -- JSON of Action, rewritten on every change
    plan        TEXT    NOT NULL   -- JSON of the Plan it executes
) WITHOUT ROWID;
CREATE INDEX actions_by_start ON actions (started_at, id);
CREATE INDEX actions_by_incident ON actions (incident_id, started_at, id);

CREATE TABLE action_keys (
    key        TEXT PRIMARY KEY,
    action_id  TEXT NOT NULL REFERENCES actions (id),
    created_at TEXT NOT NULL
) WITHOUT ROWID;
