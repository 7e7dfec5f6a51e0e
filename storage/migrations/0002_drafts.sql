-- A conversation in progress (composing guidance, a roll call, the meeting record): one row per account,
-- written at every step, so that a restarted bot resumes where the person was. PTB's own persistence
-- writes only every update_interval, so it is not the source of truth.
CREATE TABLE drafts (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id),
    flow        TEXT NOT NULL,          -- e.g. 'guidance.compose'
    step        TEXT NOT NULL,          -- the step the person is at
    data        TEXT NOT NULL DEFAULT '{}',  -- JSON
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
