-- Recommendations (kiến nghị): what a cell passes up to its ward — members' or citizens' concerns — and
-- the answer that comes back down. The ward resolves what it can, escalates the rest to the city.
-- Statuses and who moves them: bot/rules/recommendations.py.

CREATE TABLE recommendations (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,   -- tracking code, unique in the city: KN-YYMM-NNNN
    month           TEXT NOT NULL,          -- 'YYYY-MM' of submission (Vietnam calendar)
    seq             INTEGER NOT NULL,       -- NNNN: the city-wide sequence within the month
    category        TEXT NOT NULL,          -- as configured at submission ([recommendations] categories)
    content         TEXT NOT NULL,          -- exactly as given (escaped on output, never here)
    source          TEXT NOT NULL CHECK (source IN ('member', 'citizens')),
    urgency         TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    status          TEXT NOT NULL CHECK (status IN ('new', 'received', 'returned', 'escalated',
                                                    'city_returned', 'resolved', 'city_resolved')),
    cell_id         INTEGER NOT NULL REFERENCES units(id),
    ward_id         INTEGER NOT NULL REFERENCES units(id),   -- the cell's ward when submitted
    submitted_by    INTEGER NOT NULL REFERENCES people(id),
    submitted_at    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    escalated_at    TEXT,                   -- set once escalated: from then on the city sees it
    answer          TEXT,                   -- the final answer (resolved / city_resolved)
    answered_by     INTEGER REFERENCES people(id),
    answered_at     TEXT,
    UNIQUE (month, seq)
);
CREATE INDEX recommendations_ward_month ON recommendations (ward_id, month, status);
CREATE INDEX recommendations_cell ON recommendations (cell_id, status);
CREATE INDEX recommendations_escalated ON recommendations (escalated_at) WHERE escalated_at IS NOT NULL;

-- Photos or documents sent with the content (Telegram file ids), in the order sent.
CREATE TABLE recommendation_attachments (
    id                  INTEGER PRIMARY KEY,
    recommendation_id   INTEGER NOT NULL REFERENCES recommendations(id),
    position            INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    file_id             TEXT NOT NULL,
    filename            TEXT,
    UNIQUE (recommendation_id, position)
);

-- Every change of status, who made it and when, with the text given (answer, question, clarification,
-- note). Only ever added to: the triggers below refuse updates and deletes.
CREATE TABLE recommendation_history (
    id                  INTEGER PRIMARY KEY,
    recommendation_id   INTEGER NOT NULL REFERENCES recommendations(id),
    at                  TEXT NOT NULL,
    actor_person_id     INTEGER REFERENCES people(id),
    action              TEXT NOT NULL,      -- submit, receive, resolve, escalate, return, clarify
    from_status         TEXT,               -- NULL for the submission
    to_status           TEXT NOT NULL,
    text                TEXT
);
CREATE INDEX recommendation_history_item ON recommendation_history (recommendation_id, id);

CREATE TRIGGER recommendation_history_no_update BEFORE UPDATE ON recommendation_history
BEGIN SELECT RAISE(ABORT, 'recommendation_history is append-only'); END;
CREATE TRIGGER recommendation_history_no_delete BEFORE DELETE ON recommendation_history
BEGIN SELECT RAISE(ABORT, 'recommendation_history is append-only'); END;

-- Digests and overdue flags sent to ward staff, once each (like reminders_log for the reminders):
-- kind 'digest' with period = the Vietnam day; kind 'overdue' with subject = the item, period = ''.
CREATE TABLE recommendation_notices (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('digest', 'overdue')),
    subject     INTEGER NOT NULL,       -- the ward (digest) or the recommendation (overdue)
    period      TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    items       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, subject, period)
);
