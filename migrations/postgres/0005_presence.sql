-- Who is in the room: one row per console that said it is here and has not
-- left or expired, shared by every replica. Times are RFC 3339 text (UTC,
-- nine fractional digits, collation "C" so text order is time order), on the
-- wall clock of the replica that took the heartbeat.
CREATE TABLE presence (
    client_id TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL,
    since     TEXT COLLATE "C" NOT NULL,
    seen_at   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX presence_seen_at ON presence (seen_at);
