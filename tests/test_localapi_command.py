"""`shcb localapi`: the server standalone, started as a user would and stopped by SIGTERM."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys

import httpx


@contextlib.contextmanager
def standalone(tmp_path, *args: str):
    """`shcb localapi ARGS` started as a user would (DEBUG logging, so every request is logged); yields
    (process, banner, base_url) once the banner is printed; stop it with `stopped(process)`."""
    env = {**os.environ, "SHCB_LANG": "en"}
    (tmp_path / "config.toml").write_text('[logging]\nlevel = "DEBUG"\n')
    process = subprocess.Popen([sys.executable, "-m", "bot", "localapi", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        printed = []
        for line in process.stdout:  # the banner ends with the line saying how to stop
            printed.append(line)
            if "Ctrl+C" in line:
                break
        banner = "".join(printed)
        yield process, banner, re.search(r'base_url = "(http://127\.0\.0\.1:\d+/bot)"', banner).group(1)
    finally:
        if process.poll() is None:
            process.kill()


def stopped(process) -> tuple[str, str]:
    """SIGTERM; (the rest of stdout, stderr) once it has exited."""
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=10)


def test_standalone_server_answers_and_stops_on_sigterm(tmp_path):
    with standalone(tmp_path, "--bot-username", "standalone_bot", "--no-limits", "--latency-ms", "5-15",
                    "--seed", "3") as (process, banner, base_url):
        assert "Flood control (429 Too Many Requests) is off" in banner
        assert "Network latency per call: 5-15 ms." in banner
        me = httpx.get(f"{base_url}123:ABC/getMe", timeout=5).json()
        assert me["result"]["username"] == "standalone_bot"
        rest, errors = stopped(process)
    assert process.returncode == 0
    assert "stopped" in rest
    assert "/bot<token>/getMe 200" in errors
    assert "123:ABC" not in banner + rest + errors


def test_busy_port_is_reported(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bot", "localapi", "--port", str(port)],
                                capture_output=True, text=True, env={**os.environ, "SHCB_LANG": "en"},
                                cwd=tmp_path, timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_latency_that_is_not_one_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "localapi", "--latency-ms", "60-20"],
                            capture_output=True, text=True, env={**os.environ, "SHCB_LANG": "en"},
                            cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "not a latency: '60-20' (e.g. 20-60)" in result.stderr


def test_zalo_server_standalone_answers_and_stops_on_sigterm(tmp_path):
    with standalone(tmp_path, "--zalo", "--bot-username", "bot.standalone", "--latency-ms", "0") as (
            process, banner, base_url):
        assert "[zalo]" in banner
        assert "1 message a second to one person, 30 a second in all" in banner
        me = httpx.post(f"{base_url}123:ABC/getMe", timeout=5).json()
        assert me["result"]["account_name"] == "bot.standalone"
        assert httpx.post(f"{base_url}123:ABC/getUpdates", json={"timeout": 0}, timeout=5).status_code == 408
        rest, errors = stopped(process)
    assert process.returncode == 0
    assert "Local Zalo server stopped." in rest
    assert "/bot<token>/getMe 200" in errors
    assert "123:ABC" not in banner + rest + errors
