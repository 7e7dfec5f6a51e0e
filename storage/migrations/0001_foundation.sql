-- The organisation, its people, their chat accounts, the audit log and the outbox.
-- Instants are ISO 8601 text in UTC; days are ISO dates (Vietnam calendar). See storage/codec.py.

-- A unit of the party organisation: the city committee (Thành ủy), a ward or commune committee
-- (đảng ủy phường/xã), a cell (chi bộ). The tree has any depth; `kind` names the level.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES units(id),
    kind        TEXT NOT NULL CHECK (kind IN ('city', 'ward', 'cell')),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,          -- folded name (no case, no diacritics) for matching
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    closed_at   TEXT,                   -- a merged or dissolved unit is closed, never deleted
    merged_into_id INTEGER REFERENCES units(id)
);
CREATE UNIQUE INDEX units_active_name ON units (coalesce(parent_id, 0), name_key) WHERE active = 1;
CREATE INDEX units_parent ON units (parent_id);

-- Cells move between wards and wards merge: the move is logged so that past months can be reported
-- under the parent they had then.
CREATE TABLE unit_moves (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    from_parent_id  INTEGER REFERENCES units(id),
    to_parent_id    INTEGER REFERENCES units(id),
    moved_at        TEXT NOT NULL
);

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    full_name   TEXT NOT NULL,          -- as written, with diacritics (NFC)
    name_key    TEXT NOT NULL,          -- folded, for search
    phone       TEXT UNIQUE,            -- normalised: 84 + national number without the leading 0
    language    TEXT NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    exempt      INTEGER NOT NULL DEFAULT 0 CHECK (exempt IN (0, 1)),   -- miễn sinh hoạt
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX people_name ON people (name_key);

-- A person's role in a unit over a period; valid_to NULL means current. Ending a membership (a secretary
-- replaced, a member gone) keeps the row, so past records still point at who made them.
CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    role        TEXT NOT NULL CHECK (role IN ('secretary', 'deputy', 'member', 'ward_staff', 'city_staff')),
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX memberships_current_unit ON memberships (unit_id, role) WHERE valid_to IS NULL;
CREATE INDEX memberships_person ON memberships (person_id);
CREATE UNIQUE INDEX memberships_one_secretary ON memberships (unit_id)
    WHERE valid_to IS NULL AND role = 'secretary';

-- A chat account (Telegram now, Zalo later) and the person it is linked to, if any.
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL DEFAULT 'telegram',
    external_id TEXT NOT NULL,          -- the platform's user id
    chat_id     TEXT NOT NULL,          -- where to write to them (private chat)
    person_id   INTEGER REFERENCES people(id),
    language    TEXT CHECK (language IS NULL OR language IN ('vi', 'en')),
    display_name TEXT,
    linked_at   TEXT,
    unreachable INTEGER NOT NULL DEFAULT 0 CHECK (unreachable IN (0, 1)),  -- blocked the bot, deleted
    created_at  TEXT NOT NULL,
    UNIQUE (platform, external_id)
);
CREATE UNIQUE INDEX accounts_one_per_person ON accounts (platform, person_id) WHERE person_id IS NOT NULL;

-- Who did what, when, from which account. Never updated or deleted.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    action          TEXT NOT NULL,      -- e.g. 'account.linked', 'join.refused', 'access.forged'
    actor_person_id INTEGER REFERENCES people(id),
    platform        TEXT,
    actor_external_id TEXT,
    unit_id         INTEGER REFERENCES units(id),
    subject_person_id INTEGER REFERENCES people(id),
    detail          TEXT NOT NULL DEFAULT '{}'   -- JSON; phones in it are masked
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Every message the bot sends on its own initiative (guidance, reminders, notices, answers coming back
-- down) is a row here, written before it is sent; the sender drains it. `dedup_key` makes enqueueing
-- idempotent: the same reminder or broadcast copy for the same person is never queued twice.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,          -- 'guidance', 'reminder', 'notice', ...
    ref         TEXT,                   -- what it belongs to, e.g. 'guidance:12'
    dedup_key   TEXT UNIQUE,
    person_id   INTEGER REFERENCES people(id),
    platform    TEXT NOT NULL DEFAULT 'telegram',
    chat_id     TEXT NOT NULL,
    payload     TEXT NOT NULL,          -- JSON: {"text", "parse_mode", "buttons", "attachments"}
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,                   -- scheduled send or retry back-off
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    message_id  TEXT,                   -- the platform's id of the message sent (first one if split)
    error       TEXT
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_ref ON outbox (ref);
