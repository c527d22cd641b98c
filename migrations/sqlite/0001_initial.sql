-- The initial schema. Timestamps are TEXT in RFC 3339 with nine fractional
-- digits and `Z` (exact round trips; text order is time order); enum columns
-- hold the wire names (snake_case).
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    impact      TEXT    NOT NULL,
    components  TEXT    NOT NULL,  -- JSON array of AffectedComponent
    state       TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    resolved_at TEXT,
    version     INTEGER NOT NULL
);
CREATE INDEX incidents_by_start ON incidents (started_at DESC, id DESC);

CREATE TABLE timeline_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind        TEXT    NOT NULL,
    status      TEXT,
    visibility  TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    edited_at   TEXT,
    version     INTEGER NOT NULL,
    starred     INTEGER NOT NULL,
    marker      TEXT,
    source      TEXT    NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX timeline_by_incident ON timeline_entries (incident_id, occurred_at, id);

CREATE TABLE idempotency_keys (
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    key          TEXT    NOT NULL,
    entry_id     INTEGER NOT NULL REFERENCES timeline_entries (id),
    content_hash TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (incident_id, key)
) WITHOUT ROWID;

-- AUTOINCREMENT: a seq is never handed out twice, even after the newest
-- rows are gone; SSE clients resume by it.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    payload TEXT    NOT NULL   -- JSON of EventPayload
);

CREATE TABLE health_samples (
    id           INTEGER PRIMARY KEY,
    component_id TEXT    NOT NULL,
    component    TEXT    NOT NULL,
    at           TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    latency_ms   REAL,
    error_rate   REAL    NOT NULL
);
CREATE INDEX health_by_component ON health_samples (component_id, at, id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    incident_id INTEGER,
    detail      TEXT    NOT NULL   -- JSON
);
CREATE INDEX audit_by_incident ON audit_log (incident_id, id);
