-- The orchestrator's world state (placements, roles, health with its
-- counters, open alerts, plans, the simulator), one row replaced in the
-- transaction of the events that announce each change.
CREATE TABLE world_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL,  -- the topology version; never lowered
    saved_at TEXT    NOT NULL,
    state    TEXT    NOT NULL   -- JSON, written and read by the server
);
