-- Onboarding: invite codes, and the command list each linked chat was last given.

-- A single-use code for a person whose Telegram phone differs from the roster's: `/start <code>` (the
-- t.me deep link) links the account that sends it to `person_id`. Valid until `expires_at`.
CREATE TABLE invites (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    person_id       INTEGER NOT NULL REFERENCES people(id),
    created_by      INTEGER REFERENCES people(id),      -- NULL: made on the command line
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT,
    used_by_account INTEGER REFERENCES accounts(id),
    CHECK ((used_at IS NULL) = (used_by_account IS NULL)),
    CHECK (expires_at > created_at)
);
CREATE INDEX invites_person ON invites (person_id);

-- setMyCommands for one private chat: what was published last (a digest of the language and the list, and
-- the roles it was made for), so that a role or language change, a new feature or a restart republishes
-- only the chats that differ, and a role change made elsewhere (a roster import) is noticed and audited.
CREATE TABLE command_lists (
    account_id      INTEGER PRIMARY KEY REFERENCES accounts(id),
    signature       TEXT NOT NULL,
    roles           TEXT NOT NULL DEFAULT '',   -- "role@unit" pairs, sorted, comma-separated
    published_at    TEXT NOT NULL
);
