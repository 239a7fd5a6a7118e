"""Latency of the gRPC front against the REST front of one real ``ragkit serve``.

One server process (``--embedder hash``, gRPC over TLS with its generated CA, as Google's
clients use it) is timed, one call at a time, interleaved REST/gRPC so both see the same
machine load (the eight calls of a run go in a fresh random order):

* ``corpora:query``: a query (10 results) over a corpus of ``--chunks`` chunks;
* ``chunks:batchCreate``: 100 chunks per call.

Two client pairs: the thinnest of each kind (an ``httpx.Client`` posting JSON; a bare grpc
channel sending the protobuf message), and Google's GAPIC ``RetrieverServiceClient`` with
``transport="rest"`` and with its default ``"grpc"``. Printed: median milliseconds and the
gRPC/REST ratio of medians (target <= 1.0). Run::

    .venv/bin/python bench/bench_grpc.py [--runs 40] [--chunks 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx

warnings.simplefilter("ignore", FutureWarning)
# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from google.ai import generativelanguage_v1beta as glm  # noqa: E402

from tests.server.http.serving import ServerProcess, free_port  # noqa: E402

WORDS = ["ocean", "river", "mountain", "forest", "desert", "city", "bank", "market", "storm"]


def text(i: int) -> str:
    return " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 30)) + f" item {i}"


def start(data: Path) -> tuple[ServerProcess, str, str]:
    grpc_port = free_port()
    args = ["--data-dir", str(data), "--embedder", "hash", "--grpc-port", str(grpc_port)]
    server = ServerProcess([*args, "--log-level", "warning"], free_port(), data / "serve.log")
    server.wait_ready()
    os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = str(data / "tls" / "ca.pem")
    return server, server.url, f"127.0.0.1:{grpc_port}"


def timed(call: Callable[..., object], *args: object, **kwargs: object) -> float:
    began = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


def report(label: str, rest: list[float], grpc_ms: list[float]) -> None:
    r, g = statistics.median(rest), statistics.median(grpc_ms)
    print(f"{label:44s} REST {r:8.2f} ms   gRPC {g:8.2f} ms   gRPC/REST {g / r:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=2000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-grpc-"))
    proc, url, target = start(data)
    try:
        import grpc

        http = httpx.Client(base_url=url, timeout=60)
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials())
        pb = glm.QueryCorpusRequest.pb()
        query_stub = channel.unary_unary(
            "/google.ai.generativelanguage.v1beta.RetrieverService/QueryCorpus",
            request_serializer=pb.SerializeToString,
            response_deserializer=glm.QueryCorpusResponse.pb().FromString,
        )
        batch_stub = channel.unary_unary(
            "/google.ai.generativelanguage.v1beta.RetrieverService/BatchCreateChunks",
            request_serializer=glm.BatchCreateChunksRequest.pb().SerializeToString,
            response_deserializer=glm.BatchCreateChunksResponse.pb().FromString,
        )
        gapic_rest = glm.RetrieverServiceClient(
            transport="rest",
            client_options={"api_endpoint": url, "api_key": "bench"},
        )
        gapic_grpc = glm.RetrieverServiceClient(
            client_options={"api_endpoint": target, "api_key": "bench"}
        )

        corpus = http.post("/v1beta/corpora", json={"displayName": "bench"}).json()["name"]
        document = http.post(f"/v1beta/{corpus}/documents", json={"displayName": "d"}).json()
        doc = document["name"]
        for first in range(0, args.chunks, 100):
            body = {
                "requests": [
                    {"chunk": {"data": {"stringValue": text(i)}}}
                    for i in range(first, min(first + 100, args.chunks))
                ]
            }
            http.post(f"/v1beta/{doc}/chunks:batchCreate", json=body).raise_for_status()

        query_json = {"query": "storm over the harvest market", "resultsCount": 10}
        query_pb = pb(name=corpus, query="storm over the harvest market", results_count=10)
        query_glm = glm.QueryCorpusRequest(
            name=corpus, query="storm over the harvest market", results_count=10
        )

        def batch_json(i: int) -> dict[str, object]:
            return {
                "requests": [
                    {"chunk": {"data": {"stringValue": text(i * 100 + k)}}} for k in range(100)
                ]
            }

        def batch_glm(i: int) -> glm.BatchCreateChunksRequest:
            return glm.BatchCreateChunksRequest(
                parent=doc,
                requests=[
                    glm.CreateChunkRequest(
                        parent=doc, chunk=glm.Chunk(data=glm.ChunkData(string_value=text(k)))
                    )
                    for k in range(i * 100, i * 100 + 100)
                ],
            )

        # Warm both paths (connections, TLS handshake, caches).
        for _ in range(5):
            http.post(f"/v1beta/{corpus}:query", json=query_json).raise_for_status()
            query_stub(query_pb)
            gapic_rest.query_corpus(query_glm)
            gapic_grpc.query_corpus(query_glm)

        results: dict[str, list[float]] = {
            k: [] for k in ("q_rest", "q_grpc", "q_gr", "q_gg", "b_rest", "b_grpc", "b_gr", "b_gg")
        }
        query_path, batch_path = f"/v1beta/{corpus}:query", f"/v1beta/{doc}/chunks:batchCreate"
        calls: dict[str, Callable[[int], float]] = {
            "q_rest": lambda n: timed(http.post, query_path, json=query_json),
            "q_grpc": lambda n: timed(query_stub, query_pb),
            "q_gr": lambda n: timed(gapic_rest.query_corpus, query_glm),
            "q_gg": lambda n: timed(gapic_grpc.query_corpus, query_glm),
            "b_rest": lambda n: timed(http.post, batch_path, json=batch_json(n)),
            "b_grpc": lambda n: timed(batch_stub, batch_glm(n)._pb),
            "b_gr": lambda n: timed(gapic_rest.batch_create_chunks, batch_glm(n)),
            "b_gg": lambda n: timed(gapic_grpc.batch_create_chunks, batch_glm(n)),
        }
        # A fresh random order each run: a write's after-effects (index updates, WAL
        # checkpoints) must not always land on the same front's next call.
        shuffler = random.Random(7)
        for run in range(args.runs):
            order = list(calls)
            shuffler.shuffle(order)
            for k, name in enumerate(order):
                results[name].append(calls[name](1000 + run * len(order) + k))

        print(f"{args.runs} runs, corpus of {args.chunks} chunks, hash embedder, gRPC over TLS")
        report("corpora:query      httpx vs bare grpc stub", results["q_rest"], results["q_grpc"])
        report("corpora:query      GAPIC rest vs GAPIC grpc", results["q_gr"], results["q_gg"])
        report("chunks:batchCreate httpx vs bare grpc stub", results["b_rest"], results["b_grpc"])
        report("chunks:batchCreate GAPIC rest vs GAPIC grpc", results["b_gr"], results["b_gg"])
        channel.close()
        http.close()
    finally:
        proc.stop()


if __name__ == "__main__":
    main()
