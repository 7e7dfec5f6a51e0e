"""The project's own local Zalo Bot Platform server: Zalo's Bot API as documented (methods, JSON shapes,
one-update long polling, webhook with its secret header, 401/403/404/408/429), plus a user side to chat
as any Zalo user. Built on the Telegram server's pieces (bot.sandbox.localapi: server life, latency,
flood counting, parameters, webhook sender). Tests, the demo and the shell point the Zalo channel at it;
`shcb localapi --zalo` runs it standalone.

    server = ZaloLocalApi(port=0, limits=ZaloLimits(), network=Network.realistic(seed=1))  # default: no latency
    await server.start()               # server.base_url ("http://127.0.0.1:PORT/bot"), server.user_url
    token = "1459232241454765289:local-secret"    # any <digits>:<letters> token is a bot of its own
    api = ZaloApiClient(server.user_url, token)
    uid = await api.create_user("Nguyễn Văn An")   # a 20-hex-digit id, also the chat_id
    await api.send_text(uid, "/start")              # → an update for getUpdates or the webhook
    await api.fetched()                             # wait until the bot has taken it
    message = await api.next_message(uid)           # or messages(uid) / wait(uid, since)
    await server.stop()

Bot side: `{base_url}<token>/<method>` (GET or POST; query, form or JSON), answering
`{"ok": true, "result": …}` or `{"ok": false, "error_code", "description"}` with that HTTP status.
"""

from bot.sandbox.localapi.limits import Network
from bot.sandbox.zaloapi.client import ZaloApiClient, ZaloApiError, ZaloBotMessage
from bot.sandbox.zaloapi.limits import ZaloLimits
from bot.sandbox.zaloapi.server import SECRET_HEADER, ZaloLocalApi

__all__ = ["SECRET_HEADER", "Network", "ZaloApiClient", "ZaloApiError", "ZaloBotMessage", "ZaloLimits",
           "ZaloLocalApi"]
