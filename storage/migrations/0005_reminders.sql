-- Reminders: what was decided for each (rule, subject, period), per-unit schedule exceptions, meetings
-- moved for one month, and the shape of meetings and roll calls (filled by the roll-call feature later;
-- read now by the follow-up and the ward report).

-- One row per reminder decided: sent (its outbox rows were queued in the same transaction) or skipped
-- (late after downtime, nobody joined, or no longer needed). The UNIQUE key is what makes a reminder go
-- out at most once, whatever runs the check (the bot's job, `shcb tick`) and however often.
-- `occurrence` is '' except for the reminders of a moved meeting: its new day (a meeting postponed after
-- its reminder went out is reminded again for the new day, once).
CREATE TABLE reminders_log (
    id          INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,          -- bot/rules/schedule.py: committee, meeting, followup, guidance, ...
    subject     INTEGER NOT NULL,       -- the cell's unit id (cell rules) or the ward's (ward rules)
    period      TEXT NOT NULL,          -- 'YYYY-MM': the meeting month the reminder belongs to
    occurrence  TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('sent', 'skipped')),
    reason      TEXT NOT NULL,          -- on_time, late, no_recipients, not_needed
    due_at      TEXT NOT NULL,          -- when it was due (UTC instant)
    decided_at  TEXT NOT NULL,          -- when the check decided it (UTC instant)
    recipients  INTEGER NOT NULL DEFAULT 0,   -- messages queued
    UNIQUE (rule, subject, period, occurrence)
);
CREATE INDEX reminders_log_period ON reminders_log (period);

-- A ward's or a cell's own day and/or time for one rule, replacing the configured one
-- (a cell's replaces its ward's). Set with `shcb schedule set`.
CREATE TABLE schedule_overrides (
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    rule        TEXT NOT NULL,
    day         INTEGER CHECK (day IS NULL OR day BETWEEN 1 AND 31),
    time        TEXT CHECK (time IS NULL OR time GLOB '[0-2][0-9]:[0-5][0-9]'),
    set_at      TEXT NOT NULL,
    PRIMARY KEY (unit_id, rule),
    CHECK (day IS NOT NULL OR time IS NOT NULL)
);

-- A cell's meeting of one month. Created when the meeting is moved or its roll call taken.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    cell_id     INTEGER NOT NULL REFERENCES units(id),
    month       TEXT NOT NULL,          -- 'YYYY-MM'
    meeting_day TEXT,                   -- ISO date it was moved to (NULL: the regular day)
    moved_by    INTEGER REFERENCES people(id),
    moved_at    TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (cell_id, month)
);

-- Every move of a month's meeting, kept (the meetings row holds the latest).
CREATE TABLE meeting_moves (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    from_day    TEXT NOT NULL,          -- ISO date of the meeting before this move
    to_day      TEXT NOT NULL,          -- ISO date after it
    moved_by    INTEGER REFERENCES people(id),
    moved_at    TEXT NOT NULL
);
CREATE INDEX meeting_moves_meeting ON meeting_moves (meeting_id);

-- The two roll calls of a meeting (điểm danh: at its start and at its end).
CREATE TABLE roll_calls (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    phase       TEXT NOT NULL CHECK (phase IN ('start', 'end')),
    taken_at    TEXT NOT NULL,
    taken_by    INTEGER REFERENCES people(id),
    present     INTEGER NOT NULL DEFAULT 0,     -- members counted present
    absent      INTEGER NOT NULL DEFAULT 0,     -- members counted absent
    details     TEXT NOT NULL DEFAULT '{}',     -- JSON: {"present": [person ids], "absent": [{"person_id", "excused", "reason"}]}
    UNIQUE (meeting_id, phase)
);
