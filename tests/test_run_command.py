"""`shcb run` as a process: refuses to start without what it needs, answers through a Bot API server
(here the project's local one, started by the test), stops cleanly on SIGTERM and SIGINT, and never
writes the token to its log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.sandbox.localapi import Limits, LocalApiClient, LocalBotApi
from bot.sandbox.stage import free_port

TOKEN = "555000111:RUN-test-secret_token"
ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env.update(extra)
    return env


def _run(args: list[str], tmp_path: Path, **env: str):
    import subprocess

    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=_env(**env),
                          capture_output=True, text=True, timeout=60)


def test_without_a_token_it_says_so_in_one_line_and_exits_2(tmp_path):
    done = _run(["run"], tmp_path, SHCB_LANG="en")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "no token: set SHCB_TELEGRAM_TOKEN or [telegram] token (and/or SHCB_ZALO_TOKEN or [zalo] token)")
    vietnamese = _run(["run"], tmp_path)
    assert vietnamese.returncode == 2
    assert vietnamese.stderr.strip().startswith("chưa có token")


def test_webhook_mode_needs_a_url_and_a_valid_secret(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\nmode = "webhook"\n', encoding="utf-8")
    done = _run(["run", "--config", str(config)], tmp_path, SHCB_LANG="en", SHCB_TELEGRAM_TOKEN=TOKEN)
    assert (done.returncode, done.stderr.strip()) == (2, "webhook mode needs [telegram.webhook] url")
    config.write_text('[telegram]\nmode = "webhook"\n[telegram.webhook]\nurl = "https://example.org/hook"\n'
                      'secret_token = "no spaces allowed"\n', encoding="utf-8")
    done = _run(["run", "--config", str(config)], tmp_path, SHCB_LANG="en", SHCB_TELEGRAM_TOKEN=TOKEN)
    assert done.returncode == 2 and "secret_token" in done.stderr and TOKEN not in done.stderr


def test_an_unreachable_server_is_one_line_in_our_words_and_exit_1(tmp_path):
    port = free_port()  # nobody listens there
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\nbase_url = "http://127.0.0.1:{port}/bot"\n[storage]\npath = "b.sqlite3"\n',
                      encoding="utf-8")
    done = _run(["run", "--config", str(config)], tmp_path, SHCB_LANG="vi", SHCB_TELEGRAM_TOKEN=TOKEN)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"không kết nối được máy chủ Bot API tại http://127.0.0.1:{port}/bot: hãy kiểm tra mạng và "
        "[telegram] base_url")
    assert "httpx" not in done.stderr and "Traceback" not in done.stderr and TOKEN not in done.stderr


async def _wait_for_reply(api: LocalApiClient, user_id: int, timeout: float) -> list:
    version, changed = await api.wait(user_id, 0, timeout)
    assert version > 0, "the bot did not answer"
    return changed


@pytest.mark.parametrize("mode, signum", [("polling", signal.SIGTERM), ("webhook", signal.SIGINT)])
async def test_it_answers_then_stops_cleanly_on_a_signal(tmp_path, mode, signum):
    server = LocalBotApi(limits=Limits())
    await server.start()
    hook_port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{server.base_url}"\nbase_file_url = "{server.base_file_url}"\n'
        f'mode = "{mode}"\n'
        f'[telegram.webhook]\nurl = "http://127.0.0.1:{hook_port}/tg/hook"\nlisten = "127.0.0.1"\n'
        f'port = {hook_port}\nsecret_token = "run-test-secret"\n'
        f'[storage]\npath = "{tmp_path / "bot.sqlite3"}"\n[logging]\nlevel = "DEBUG"\n',
        encoding="utf-8")
    api = LocalApiClient(server.user_url, TOKEN)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path,
        env=_env(SHCB_TELEGRAM_TOKEN=TOKEN), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.create_user(20_000_001, "Lan", language_code="vi")
        await api.send_text(20_000_001, "/start")
        answered = await _wait_for_reply(api, 20_000_001, timeout=30)
        assert answered and answered[0].text
        if mode == "webhook":
            requests = server.stats(TOKEN)["requests"]
            assert requests.get("setWebhook") and not requests.get("getUpdates")
        started = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
        stopping = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.close()
        await server.stop()
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert stopping < 5, f"took {stopping:.1f} s to stop"
    assert "running" in log and "stopped" in log
    assert "DEBUG" in log  # the configured level: a verbose log, and still no token in it
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
