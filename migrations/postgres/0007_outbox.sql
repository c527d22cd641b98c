-- The outbox: one row per delivery to an outside receiver (status page,
-- webhook, chat), staged from the event log and kept until delivered or
-- given up. `key` is unique per target: staging the same thing twice (after
-- a restart, or by a new leader) adds nothing. `outbox_cursor` is how far
-- each target's staging has read the event log, moved in the staging's own
-- transaction. Times are RFC 3339 text in collation "C" (text order is time
-- order).
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    target          TEXT NOT NULL,
    key             TEXT NOT NULL,
    incident_id     BIGINT,
    payload         JSONB NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT COLLATE "C",
    gave_up_at      TEXT COLLATE "C",
    remote_id       TEXT,
    UNIQUE (target, key)
);
CREATE INDEX outbox_pending ON outbox (target, id) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX outbox_remote ON outbox (target, incident_id) WHERE remote_id IS NOT NULL;

CREATE TABLE outbox_cursor (
    target   TEXT NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
