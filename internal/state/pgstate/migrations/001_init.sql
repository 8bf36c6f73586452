-- The first layout of reaper's shared state. Each record is kept as the JSON document the bbolt
-- store keeps (type json: the exact text, nanosecond times included), beside the columns that
-- key, order and select it.

CREATE TABLE marks (
    instance_id text NOT NULL,
    policy      text NOT NULL,
    doc         json NOT NULL,
    PRIMARY KEY (instance_id, policy)
);

CREATE TABLE refusals (
    instance_id text PRIMARY KEY,
    doc         json NOT NULL
);

CREATE TABLE unconfirmed (
    instance_id text PRIMARY KEY,
    doc         json NOT NULL
);

CREATE TABLE intents (
    run_id      text    NOT NULL,
    instance_id text    NOT NULL,
    completed   boolean NOT NULL,
    doc         json    NOT NULL,
    PRIMARY KEY (run_id, instance_id)
);

CREATE TABLE runs (
    id   text   PRIMARY KEY,
    seq  bigint NOT NULL UNIQUE CHECK (seq > 0),
    node text   NOT NULL,
    doc  json   NOT NULL
);

-- The run sequence: one row. A table, not a SEQUENCE, so that a rolled-back run gives its number
-- back, as in bbolt, and PutRun's row lock orders writers.
CREATE TABLE run_sequence (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    value    bigint  NOT NULL CHECK (value >= 0)
);
INSERT INTO run_sequence (value) VALUES (0);

CREATE TABLE traffic (
    instance_id text PRIMARY KEY,
    doc         json NOT NULL
);

-- Metadata, the clock baseline (last_run_time) and the notifier's memory among it.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
