-- Incident roles: one row per term, a person holding a role of an incident
-- from `from_at` until `until_at` (NULL while they hold it). At most one
-- open term per role of an incident. Times are RFC 3339 text on the
-- orchestrator's clock.
CREATE TABLE incident_roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    role        TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    from_at     TEXT    NOT NULL,
    until_at    TEXT,
    assigned_by TEXT    NOT NULL
);
CREATE UNIQUE INDEX incident_roles_open ON incident_roles (incident_id, role)
    WHERE until_at IS NULL;
