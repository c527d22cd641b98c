-- Leadership among replicas: one row, the lease. Whoever holds an unexpired
-- lease is the leader; `epoch` rises each time the lease changes hands and
-- is the fencing token every leader-only write is checked against.
CREATE TABLE leader_lease (
    id         INTEGER     PRIMARY KEY CHECK (id = 1),
    node_id    TEXT        NOT NULL,
    instance   TEXT        NOT NULL,  -- one process: a restart is a new instance
    url        TEXT        NOT NULL,
    epoch      BIGINT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL   -- on the database's clock, never a replica's
);
