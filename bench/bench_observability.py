"""What counting and logging every request costs: the app with its access middleware (metrics
and the access log) against the same app with that middleware passing requests straight on.

Both apps run in-process (httpx over ASGI, no sockets), over the real service with the hash
embedder; each round times ``--requests`` calls of ``GET /v1beta/corpora`` and of
``POST /v1beta/corpora/c:query`` per app, the two apps alternating, and the access log goes
to a real handler (a file), as ``ragkit serve`` writes it. Printed: median microseconds per
request and the ratio observed/bare (target: close to 1.0). Run::

    .venv/bin/python bench/bench_observability.py [--rounds 7] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.http import access
from ragkit.server.logs import TextFormatter


async def _bare_call(self: Any, scope: Any, receive: Any, send: Any) -> None:
    await self.app(scope, receive, send)


async def _time(client: httpx.AsyncClient, method: str, path: str, n: int, **kw: Any) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = await client.request(method, path, **kw)
        assert response.status_code == 200, response.text
    return (time.perf_counter() - started) / n * 1e6


async def main(rounds: int, requests: int) -> None:
    observed_call = access.AccessMiddleware.__call__
    with tempfile.TemporaryDirectory() as tmp:
        handler = logging.FileHandler(Path(tmp) / "access.log")
        handler.setFormatter(TextFormatter())
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
        apps = {
            name: create_app(ServerConfig(data_dir=Path(tmp) / name, embedder="hash"))
            for name in ("observed", "bare")
        }
        results: dict[str, dict[str, list[float]]] = {n: {"list": [], "query": []} for n in apps}
        async with (
            apps["observed"].router.lifespan_context(apps["observed"]),
            apps["bare"].router.lifespan_context(apps["bare"]),
        ):
            clients = {
                name: httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://r")
                for name, app in apps.items()
            }
            for client in clients.values():
                await client.post("/v1beta/corpora", json={"name": "corpora/c"})
                await client.post(
                    "/v1beta/corpora/c/documents", json={"name": "corpora/c/documents/d"}
                )
                body = {"requests": [{"chunk": {"data": {"stringValue": f"text {i}"}}}
                                     for i in range(100)]}  # fmt: skip
                await client.post("/v1beta/corpora/c/documents/d/chunks:batchCreate", json=body)
            for _ in range(rounds):
                for name, client in clients.items():
                    access.AccessMiddleware.__call__ = (  # type: ignore[method-assign]
                        observed_call if name == "observed" else _bare_call
                    )
                    results[name]["list"].append(
                        await _time(client, "GET", "/v1beta/corpora", requests)
                    )
                    results[name]["query"].append(
                        await _time(
                            client,
                            "POST",
                            "/v1beta/corpora/c:query",
                            requests,
                            json={"query": "text 7"},
                        )
                    )
            access.AccessMiddleware.__call__ = observed_call  # type: ignore[method-assign]
            for client in clients.values():
                await client.aclose()
        logging.getLogger().removeHandler(handler)
        handler.close()
    for what in ("list", "query"):
        observed = statistics.median(results["observed"][what])
        bare = statistics.median(results["bare"][what])
        print(
            f"{what:6s} observed {observed:8.0f} us  bare {bare:8.0f} us  "
            f"ratio {observed / bare:.3f}  ({rounds} rounds x {requests} requests)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests))
