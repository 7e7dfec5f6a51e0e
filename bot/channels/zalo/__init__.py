"""The Zalo channel: the same handlers on Zalo, through a second python-telegram-bot Application.

- render.py, updates.py, backoff.py: plain functions (what a Zalo user is shown; Zalo updates as Telegram
  updates and typed numbers as presses; the wait after a 429).
- request.py: the adapter, a PTB `BaseRequest` that answers the Bot API calls with Zalo calls.
- application.py: `build_zalo_application(ctx)` and the outbox sender's Zalo bot; budget.py: the token's
  send budget; lifecycle.py: starting and stopping (polling or webhook); webhook.py: the receiver.
Records of its own: storage/zalo.py (migration 0010).
"""
