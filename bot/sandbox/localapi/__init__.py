"""The project's own local Telegram Bot API server: the part of the Bot API this bot uses, with
Telegram's JSON shapes, status codes, error descriptions and limits, plus a user side to chat as any
user. Tests, `shcb demo` and `shcb shell` run the real python-telegram-bot Application against it
through `[telegram] base_url`; `shcb localapi` runs it standalone.

    server = LocalBotApi(port=0, limits=Limits(), bot_username="shcb_demo_bot", clock=None,
                         network=Network.realistic(seed=1),   # 20-60 ms per call; default: none
                         faults=FaultPlan(rate=0.1, seed=1))  # 429, 5xx, time-outs, drops; default: none
    await server.start()          # server.base_url, server.base_file_url, server.user_url
    api = LocalApiClient(server.user_url, token)
"""

from bot.sandbox.localapi.client import BotMessage, LocalApiClient, LocalApiError
from bot.sandbox.localapi.faults import FaultPlan
from bot.sandbox.localapi.limits import Limits, Network
from bot.sandbox.localapi.server import LocalBotApi

__all__ = ["BotMessage", "FaultPlan", "Limits", "Network", "LocalApiClient", "LocalApiError", "LocalBotApi"]
