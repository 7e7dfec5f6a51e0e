"""`shcb run` with a Zalo token: both channels in one process (or Zalo alone), each answering, stopped
cleanly by a signal, neither token nor the webhook secret in the log."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from bot.sandbox.localapi import Limits, LocalApiClient, LocalBotApi
from bot.sandbox.stage import free_port
from bot.sandbox.zaloapi import ZaloApiClient, ZaloLimits, ZaloLocalApi
from tests.test_run_command import TOKEN, _env, _wait_for_reply

ZALO_TOKEN = "1459232241454765289:RUN-zalo-secret-token"
ZALO_SECRET = "run-zalo-webhook-secret"


@pytest.mark.parametrize("telegram, zalo_mode", [(True, "polling"), (False, "webhook")])
async def test_run_serves_zalo_beside_telegram_or_alone(tmp_path, telegram, zalo_mode):
    server = LocalBotApi(limits=Limits())
    zalo = ZaloLocalApi(limits=ZaloLimits())
    await server.start()
    await zalo.start()
    hook_port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{server.base_url}"\nbase_file_url = "{server.base_file_url}"\n'
        f'[zalo]\nbase_url = "{zalo.base_url}"\nmode = "{zalo_mode}"\n'
        f'[zalo.webhook]\nurl = "http://127.0.0.1:{hook_port}/zalo/hook"\nport = {hook_port}\n'
        f'secret_token = "{ZALO_SECRET}"\n'
        f'[storage]\npath = "{tmp_path / "bot.sqlite3"}"\n[logging]\nlevel = "DEBUG"\n', encoding="utf-8")
    tokens = {"SHCB_ZALO_TOKEN": ZALO_TOKEN, **({"SHCB_TELEGRAM_TOKEN": TOKEN} if telegram else {})}
    api = LocalApiClient(server.user_url, TOKEN)
    users = ZaloApiClient(zalo.user_url, ZALO_TOKEN)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path, env=_env(**tokens),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        uid = await users.create_user("Nguyễn Thị Lan")
        await users.send_text(uid, "xin chào")
        answered = await users.wait(uid, 0, timeout=30)
        assert answered and answered[0].text and "<" not in answered[0].text     # answered, in plain text
        if telegram:
            await api.create_user(20_000_001, "Lan", language_code="vi")
            await api.send_text(20_000_001, "/start")
            assert (await _wait_for_reply(api, 20_000_001, timeout=30))[0].text
        else:
            requests = zalo.stats(ZALO_TOKEN)["requests"]
            assert requests.get("setWebhook") and not requests.get("getUpdates")
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.close()
        await users.close()
        await zalo.stop()
        await server.stop()
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert f"Zalo bot shcb.bot is running ({zalo_mode})" in log and "stopped" in log
    assert ("bot @" in log) == telegram
    for secret in (ZALO_TOKEN, ZALO_TOKEN.split(":")[1], TOKEN.split(":")[1], ZALO_SECRET):
        assert secret not in log
