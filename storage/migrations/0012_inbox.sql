-- The inbox: every update the bot takes (by getUpdates or webhook, Telegram's or Zalo's) is written here
-- before it can be confirmed to the server, and marked handled once the application is done with it; a
-- restarted bot handles again, in order, those it took and had not finished (a `kill -9` costs nothing).
-- Zalo's update ids are the adapter's own (storage/zalo.py), hence the platform in the key.
CREATE TABLE inbox (
    platform     TEXT NOT NULL,       -- 'telegram' or 'zalo'
    update_id    INTEGER NOT NULL,
    data         TEXT NOT NULL,       -- the update's JSON, as the Bot API gave it
    received_at  TEXT NOT NULL,
    handled_at   TEXT,                -- NULL: taken, not yet finished
    PRIMARY KEY (platform, update_id)
);
CREATE INDEX inbox_unhandled ON inbox (platform, update_id) WHERE handled_at IS NULL;
CREATE INDEX inbox_received ON inbox (received_at) WHERE handled_at IS NOT NULL;

-- The update that last changed each draft (written in the same transaction as the change): that update
-- replayed from the inbox after a kill (applied, not yet marked handled) changes nothing again.
ALTER TABLE drafts ADD COLUMN update_id INTEGER;
