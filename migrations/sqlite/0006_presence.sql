-- Who is in the room: one row per console that said it is here and has not
-- left or expired. Times are RFC 3339 text (UTC, nine fractional digits), on
-- the wall clock of the server that took the heartbeat.
CREATE TABLE presence (
    client_id TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL,
    since     TEXT NOT NULL,
    seen_at   TEXT NOT NULL
);
CREATE INDEX presence_seen_at ON presence (seen_at);
