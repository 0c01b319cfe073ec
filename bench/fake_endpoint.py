"""A fast fake OpenAI-compatible endpoint for benchmarks (not for tests), in its own process.

Every POST to /v1/chat/completions is answered after a fixed latency with a one-turn answer
(never a tool call), so that each sample of either ladder form costs exactly one model call
and N samples at concurrency C take at best N x L / C. It runs on aiohttp in its own process,
so the client under test does not share an interpreter (or a GIL) with it.

It keeps what a benchmark needs to know about the load it saw: requests, the most and the
mean number in flight (time-weighted, from the first arrival to the last answer), and when
the first request arrived. GET /stats reads them, POST /reset clears them.

    python bench/fake_endpoint.py --latency 0.1     # prints "port <n>" and serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from aiohttp import web

ANSWER = "Following the table from the start key.\nANSWER: XX-0000"


class Load:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.area = 0.0  # integral of in-flight over time
        self.first: float | None = None
        self.last: float | None = None
        self._mark: float | None = None

    def _advance(self, now: float) -> None:
        if self._mark is not None:
            self.area += self.in_flight * (now - self._mark)
        self._mark = now

    def enter(self) -> None:
        now = time.time()
        self._advance(now)
        if self.first is None:
            self.first = now
        self.n += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        now = time.time()
        self._advance(now)
        self.in_flight -= 1
        self.last = now

    def stats(self) -> dict[str, Any]:
        span = (self.last - self.first) if self.first and self.last else 0.0
        return {
            "n": self.n,
            "max_in_flight": self.max_in_flight,
            "mean_in_flight": self.area / span if span > 0 else 0.0,
            "first_at": self.first,
            "last_at": self.last,
        }


def make_app(latency_s: float) -> web.Application:
    load = Load()

    async def chat(request: web.Request) -> web.Response:
        load.enter()
        try:
            body = await request.json()
            await asyncio.sleep(latency_s)
            prompt = json.dumps(body.get("messages"))
            reply = {
                "id": f"chatcmpl-{load.n}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": str(body.get("model")) + "-2026-01-15",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": ANSWER},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": len(prompt) // 4,
                    "completion_tokens": len(ANSWER) // 4,
                    "total_tokens": len(prompt) // 4 + len(ANSWER) // 4,
                },
            }
            return web.json_response(reply)
        finally:
            load.leave()

    async def models(request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "fake-gpt", "object": "model", "created": 0}]}
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(load.stats())

    async def reset(request: web.Request) -> web.Response:
        load.reset()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


async def serve(latency_s: float, port: int) -> None:
    runner = web.AppRunner(make_app(latency_s), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    print(f"port {sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.latency, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
