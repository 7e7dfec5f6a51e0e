-- A person who starts a guided conversation while another is unfinished is asked first: continue the
-- first one, or discard it and start the new one. The question waits here (one per account) until they
-- answer; it belongs to the draft as it was when asked (`draft_updated_at`), so once that draft moves on,
-- the question is out of date.
CREATE TABLE flow_switches (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts(id),
    to_flow           TEXT NOT NULL,     -- the conversation they asked to start
    draft_updated_at  TEXT NOT NULL,     -- the unfinished draft's updated_at when asked
    asked_at          TEXT NOT NULL
);
