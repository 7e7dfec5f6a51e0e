-- The Zalo channel (bot/channels/zalo/). Zalo names people and chats by strings and its updates carry no
-- update_id; python-telegram-bot needs integers. Each Zalo id gets a stable local integer id here (for
-- platform 'zalo', accounts.external_id and accounts.chat_id are that id as text).
CREATE TABLE zalo_ids (
    local_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    zalo_id     TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Every message of a Zalo chat, under the message id python-telegram-bot sees: what the bot asked to send
-- (the Telegram-shaped message, its inline keyboard included) and the plain text the person was shown, so
-- that an edit can tell whether the person must see a new message, and a typed number can become the
-- press of a button of that message. The person's own messages get ids from here too. The bot's are
-- recorded just before they are sent: the person may answer their options the moment they arrive.
CREATE TABLE zalo_messages (
    message_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id         INTEGER NOT NULL REFERENCES zalo_ids(local_id),
    from_bot        INTEGER NOT NULL,
    zalo_message_id TEXT,                  -- the person's messages: as Zalo named it
    telegram        TEXT NOT NULL,         -- JSON: the Telegram-shaped message
    shown           TEXT NOT NULL,         -- the plain text as the person saw it
    at              TEXT NOT NULL
);
CREATE INDEX zalo_messages_chat ON zalo_messages (chat_id, message_id);

-- The numbered options the person was last shown in a chat: a bare number typed back is the press of
-- that option's button. Written when the message goes out (a restarted bot still understands the number).
CREATE TABLE zalo_option_lists (
    chat_id         INTEGER PRIMARY KEY REFERENCES zalo_ids(local_id),
    message_id      INTEGER NOT NULL REFERENCES zalo_messages(message_id),
    options         TEXT NOT NULL,         -- JSON: [[typed key ("3", "b"), callback_data], ...]
    label_numbered  INTEGER NOT NULL,      -- some labels carried their own numbers (the roll call's list)
    at              TEXT NOT NULL
);

-- The last update_id given to a Zalo update (they increase across restarts).
CREATE TABLE zalo_update_ids (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_update_id  INTEGER NOT NULL
);
INSERT INTO zalo_update_ids (id, last_update_id) VALUES (1, 0);
