"""Chat channels other than Telegram: each runs the same handlers through its own python-telegram-bot
Application, whose Bot talks to the channel through an adapter (see bot/channels/zalo/)."""
