-- The whole fleet's history over a time window (postmortems).
CREATE INDEX health_by_time ON health_samples (at, id);
