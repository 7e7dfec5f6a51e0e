"""What the benchmarks run in child processes, so that the bot under test has its event loop (and a core)
to itself: a benchmark file started again with a flag, spoken to by JSON lines on stdin and stdout
(`Child`), and the local Bot API server such a child serves (`serve_local_api`)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Child:
    """`script` run with `flags` in a child process; its first line is `first`."""

    async def start(self, script: str, *flags: str) -> "Child":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, script, *flags, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=str(ROOT), limit=2**26)
        self.first = await self.read(60)
        return self

    async def read(self, timeout: float) -> dict:
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"the child {self.process.pid} ended (exit code {await self.process.wait()})")
        return json.loads(line)

    async def ask(self, command: str, timeout: float = 30) -> dict:
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read(timeout)

    def cpu(self) -> float:
        """CPU seconds the child has used (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.stdin.write(b"quit\n")
            await self.process.stdin.drain()
            await asyncio.wait_for(self.process.wait(), 15)


async def serve_local_api(seed: int) -> None:
    """A local Bot API server with Telegram's limits and the 20-60 ms network (seeded); prints its port,
    then obeys lines on stdin: 'limits on|off', 'network on|off', 'stats TOKEN', 'quit'."""
    from bot.sandbox.localapi import Limits, LocalBotApi, Network

    server = LocalBotApi(limits=Limits(), network=Network.realistic(seed=seed))
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line in ("", "quit"):
            break
        if line.startswith("limits"):
            server.limits.enabled = line.endswith("on")
            print(json.dumps({"ok": True}), flush=True)
        elif line.startswith("network"):
            server.network = Network.realistic(seed=seed) if line.endswith("on") else Network()
            print(json.dumps({"ok": True}), flush=True)
        elif line.startswith("stats "):
            print(json.dumps(server.stats(line.split(" ", 1)[1])), flush=True)
    await server.stop()
