-- The month's guidance (hướng dẫn) a ward or the city sends to its cells' secretaries and deputies, and
-- what the outbox sender needs to resume a split message.

-- One guidance, from the moment it is confirmed (scheduled or sent now; composing lives in `drafts`).
-- Each recipient's copy is an outbox row with ref 'guidance:<id>', which holds its delivery status.
CREATE TABLE guidance (
    id              INTEGER PRIMARY KEY,
    author_person_id INTEGER REFERENCES people(id),   -- NULL: sent from the command line
    scope_unit_id   INTEGER NOT NULL REFERENCES units(id),   -- the ward, or the city, it was sent for
    month           TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    text            TEXT NOT NULL,                    -- Telegram HTML
    parse_mode      TEXT CHECK (parse_mode IS NULL OR parse_mode = 'HTML'),
    audience        TEXT NOT NULL CHECK (audience IN ('leaders', 'secretaries')),
    status          TEXT NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
    scheduled_at    TEXT,                             -- when it goes out (NULL: at once)
    created_at      TEXT NOT NULL,
    sent_at         TEXT,                             -- when the last copy was settled
    resend_rounds   INTEGER NOT NULL DEFAULT 0,       -- "re-send to those who have not confirmed" taps
    content_key     TEXT                              -- digest of a command-line broadcast (re-running resumes it)
);
CREATE INDEX guidance_month ON guidance (month, status);
CREATE INDEX guidance_content ON guidance (content_key) WHERE content_key IS NOT NULL;

-- The cells it is for (all cells in scope, or the chosen ones), resolved when it was confirmed.
CREATE TABLE guidance_cells (
    guidance_id     INTEGER NOT NULL REFERENCES guidance(id),
    cell_id         INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (guidance_id, cell_id)
);
CREATE INDEX guidance_cells_cell ON guidance_cells (cell_id);

-- Documents and photos sent after the text: a Telegram file_id (sent in chat) or a local path (CLI).
CREATE TABLE guidance_attachments (
    id              INTEGER PRIMARY KEY,
    guidance_id     INTEGER NOT NULL REFERENCES guidance(id),
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('document', 'photo')),
    file_id         TEXT,
    path            TEXT,
    filename        TEXT,
    CHECK (file_id IS NOT NULL OR path IS NOT NULL),
    UNIQUE (guidance_id, position)
);

-- Who it was for when it was confirmed, and as whom (their cell and role then). A recipient without a chat
-- account has no outbox row: reported as "not joined".
CREATE TABLE guidance_recipients (
    guidance_id     INTEGER NOT NULL REFERENCES guidance(id),
    person_id       INTEGER NOT NULL REFERENCES people(id),
    cell_id         INTEGER NOT NULL REFERENCES units(id),
    role            TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (guidance_id, person_id)
);

-- "Đã nhận": a recipient confirmed receipt. Once per recipient, whatever they press afterwards.
CREATE TABLE guidance_receipts (
    id              INTEGER PRIMARY KEY,
    guidance_id     INTEGER NOT NULL REFERENCES guidance(id),
    person_id       INTEGER NOT NULL REFERENCES people(id),
    received_at     TEXT NOT NULL,
    UNIQUE (guidance_id, person_id)
);

-- The sender marks each part of a split message as it goes, so a restart resumes after the last part sent
-- instead of sending the first parts again.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
