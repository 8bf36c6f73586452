-- The policy engine's decision cache (internal/policy, ExportCache): one row, the blob of the
-- generation it was written for. Derived data: not part of state migrate's snapshot; losing it
-- costs one cold cycle. The leader replaces it after each cycle.

CREATE TABLE decision_cache (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation text        NOT NULL,
    blob       bytea       NOT NULL,
    saved_at   timestamptz NOT NULL DEFAULT now()
);
