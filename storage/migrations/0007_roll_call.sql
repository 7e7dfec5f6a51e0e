-- Roll calls (điểm danh) one row per member, and the meeting record (biên bản), for the roll-call
-- feature (handlers/roll_call.py, handlers/meeting_record.py). Supersedes the JSON `details` of 0005's
-- roll_calls: figures come from the rows below and the frozen counts beside them, never from that JSON.

-- The roll call itself (0005's table) gains what is counted apart and the frozen figures. The figures are
-- computed by bot/rules/attendance.py when the roll call is saved and stored, so that a report of a past
-- month reads exactly what the secretary confirmed.
ALTER TABLE roll_calls ADD COLUMN eligible INTEGER NOT NULL DEFAULT 0;        -- members counted (the denominator)
ALTER TABLE roll_calls ADD COLUMN guests INTEGER NOT NULL DEFAULT 0;          -- guests: not members of the cell
ALTER TABLE roll_calls ADD COLUMN guest_note TEXT;                            -- who they were, if typed
-- `có mặt 27`: present counted without naming anyone (NULL: every member named present or absent).
ALTER TABLE roll_calls ADD COLUMN counted_present INTEGER;
ALTER TABLE roll_calls ADD COLUMN saved_at TEXT;                              -- when it was confirmed (UTC instant)
ALTER TABLE roll_calls ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;        -- 1 + corrections

-- One row per member of the cell when the roll call was taken: the eligible set is frozen here, so later
-- roster changes never change a past month's figures. Names and roles are copied for the same reason.
-- status: present; absent_excused (with a reason); absent_unexcused (without); exempt_absent (miễn sinh
-- hoạt, absent: left out of the count, Quy định 294-QĐ/TW); exempt_present (counted present and
-- eligible); unnamed (a member of a roll call taken by count, `counted_present`, neither named present
-- nor absent).
CREATE TABLE roll_call_members (
    roll_call_id INTEGER NOT NULL REFERENCES roll_calls(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    number       INTEGER NOT NULL,          -- the member's number in that roll call (1, 2, …)
    full_name    TEXT NOT NULL,
    role         TEXT NOT NULL,             -- secretary, deputy, member (at that time)
    exempt       INTEGER NOT NULL DEFAULT 0 CHECK (exempt IN (0, 1)),
    status       TEXT NOT NULL CHECK (status IN ('present', 'absent_excused', 'absent_unexcused',
                                                 'exempt_absent', 'exempt_present', 'unnamed')),
    reason       TEXT,                      -- typed reason of an absence
    PRIMARY KEY (roll_call_id, person_id),
    UNIQUE (roll_call_id, number),
    CHECK ((exempt = 1) = (status IN ('exempt_absent', 'exempt_present')))
);

-- The meeting record, on the month's meeting (0005's table). Secretary and deputy share it; `record_rev`
-- counts saves so whoever saves second can be shown the first's version and asked before overwriting.
ALTER TABLE meetings ADD COLUMN held_on TEXT;             -- ISO date of the start roll call (Vietnam)
ALTER TABLE meetings ADD COLUMN kind TEXT CHECK (kind IS NULL OR kind IN ('regular', 'thematic', 'both'));
ALTER TABLE meetings ADD COLUMN topic TEXT;
ALTER TABLE meetings ADD COLUMN speakers INTEGER CHECK (speakers IS NULL OR speakers >= 0);   -- members who spoke
ALTER TABLE meetings ADD COLUMN ward_member_attended INTEGER CHECK (ward_member_attended IS NULL OR ward_member_attended IN (0, 1));
ALTER TABLE meetings ADD COLUMN conclusions TEXT;
-- proposed by the cell committee: Tốt, Khá, Trung bình, Kém
ALTER TABLE meetings ADD COLUMN proposed_grade TEXT CHECK (proposed_grade IS NULL OR proposed_grade IN ('good', 'fair', 'average', 'poor'));
ALTER TABLE meetings ADD COLUMN minutes_file_id TEXT;     -- photo or document of the minutes (Telegram file_id)
ALTER TABLE meetings ADD COLUMN minutes_file_name TEXT;
ALTER TABLE meetings ADD COLUMN minutes_kind TEXT CHECK (minutes_kind IS NULL OR minutes_kind IN ('photo', 'document'));
-- Did the meeting hear the answers to the cell's recommendations? Asked by the recommendations feature.
ALTER TABLE meetings ADD COLUMN answers_reported INTEGER CHECK (answers_reported IS NULL OR answers_reported IN (0, 1));
ALTER TABLE meetings ADD COLUMN record_saved_by INTEGER REFERENCES people(id);
ALTER TABLE meetings ADD COLUMN record_saved_at TEXT;
ALTER TABLE meetings ADD COLUMN record_rev INTEGER NOT NULL DEFAULT 0;
-- Corrections are open until the deadline day of the next month (bot/rules/attendance.py); after it the
-- record is closed, unless ward staff reopened it: then it is open again until `reopened_until` (a day).
ALTER TABLE meetings ADD COLUMN reopened_until TEXT;
ALTER TABLE meetings ADD COLUMN reopened_by INTEGER REFERENCES people(id);
ALTER TABLE meetings ADD COLUMN reopened_at TEXT;

CREATE INDEX meetings_month ON meetings (month, cell_id);
