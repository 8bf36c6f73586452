-- Taking an approval (README "Plans and approval"): a leader marks an approval taken before it acts
-- on it, in one UPDATE that matches only while its leadership session (taken_session, a backend
-- PID) holds the schema's advisory lock. Only the take recorded here may finish the approval, so
-- of an old leader that has not yet noticed its loss and the new one, one records the outcome. A
-- take whose session no longer leads is taken over by the next leader. Existing rows stay
-- untaken: the columns are NULL, as for an approval no reaper has looked at.

ALTER TABLE approvals
    ADD COLUMN taken_node    text,
    ADD COLUMN taken_run     text,
    ADD COLUMN taken_at      timestamptz,
    ADD COLUMN taken_session integer;
