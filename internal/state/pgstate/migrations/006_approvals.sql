-- Approvals (README "Plans and approval"): a plan approved with `reaper apply` while a daemon
-- leads, queued for whichever reaper leads. doc is the request (state.Approval as JSON, kept as
-- text so that a malformed one can be told apart and set aside); outcome is what the leader did
-- (state.ApprovalOutcome as JSON), NULL while the approval waits.

CREATE TABLE approvals (
    id          bigserial   PRIMARY KEY,
    plan_run_id text        NOT NULL,
    doc         text        NOT NULL,
    queued_at   timestamptz NOT NULL DEFAULT now(),
    outcome     text,
    finished_at timestamptz
);

CREATE INDEX approvals_pending ON approvals (id) WHERE outcome IS NULL;
