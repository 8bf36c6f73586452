-- Leadership (internal/leader): the one row naming the reaper that holds the schema's advisory
-- lock, written by the holder in the session that holds it. Fence updates fenced_at only while
-- that session still holds the lock, which proves leadership before every intent and call.

CREATE TABLE leadership (
    id          integer PRIMARY KEY CHECK (id = 1),
    node        text        NOT NULL,
    pid         integer     NOT NULL,
    acquired_at timestamptz NOT NULL,
    fenced_at   timestamptz NOT NULL
);
