-- One person, two channels (Telegram and Zalo): each platform has its own account row linked to the same
-- person (accounts_one_per_person is per platform). What the bot sends on its own goes to the account the
-- person used last (or to all of them: [delivery] both_channels). `last_used_at` is touched when the
-- person writes from it after using another of their accounts: a switch of channel, the only use that
-- changes where the bot writes (storage/accounts.py: used_before_another), so one-channel people cost
-- no write.
ALTER TABLE accounts ADD COLUMN last_used_at TEXT;
UPDATE accounts SET last_used_at = coalesce(linked_at, created_at);
CREATE INDEX accounts_person ON accounts (person_id) WHERE person_id IS NOT NULL;
