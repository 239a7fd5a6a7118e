"""``python -m ragkit serve`` as a real process: HTTP end to end, SIGKILL, restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .http.serving import serve

pytestmark = pytest.mark.slow

TEXTS = [
    "The cat sat on the warm windowsill and purred.",
    "Interest rates were raised by the central bank.",
    "The striker scored twice in the second half.",
    "Photosynthesis turns sunlight into chemical energy in plants.",
]


def call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = http.request(method, f"/v1beta/{path}", **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def populate(http: httpx.Client) -> tuple[str, str]:
    corpus = call(http, "POST", "corpora", json={"displayName": "E2E"})["name"]
    document = call(http, "POST", f"{corpus}/documents", json={"displayName": "Mixed"})["name"]
    body = {"requests": [{"chunk": {"data": {"stringValue": t}}} for t in TEXTS]}
    created = call(http, "POST", f"{document}/chunks:batchCreate", json=body)
    assert len(created["chunks"]) == len(TEXTS)
    return corpus, document


def top_text(http: httpx.Client, corpus: str, query: str) -> str:
    found = call(http, "POST", f"{corpus}:query", json={"query": query, "resultsCount": 1})
    text: str = found["relevantChunks"][0]["chunk"]["data"]["stringValue"]
    return text


def test_serve_survives_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data, "--embedder", "hash") as server:
        assert f"{server.url}/v1beta" in server.log
        with httpx.Client(base_url=server.url, timeout=30) as http:
            corpus, document = populate(http)
            before = top_text(http, corpus, "central bank interest rates")
            answer = call(
                http,
                "POST",
                "models/aqa:generateAnswer",
                json={
                    "contents": [{"parts": [{"text": "Who raised interest rates?"}]}],
                    "answerStyle": "EXTRACTIVE",
                    "semanticRetriever": {
                        "source": corpus,
                        "query": {"parts": [{"text": "who raised interest rates"}]},
                    },
                },
            )
            chunks = call(http, "GET", f"{document}/chunks")["chunks"]
        server.kill()
        assert server.proc.returncode == -9

    assert before == TEXTS[1]
    assert "central bank" in answer["answer"]["content"]["parts"][0]["text"]

    with serve(data, "--embedder", "hash") as again, httpx.Client(base_url=again.url) as http:
        assert call(http, "GET", f"{document}/chunks")["chunks"] == chunks
        assert top_text(http, corpus, "central bank interest rates") == before
        assert call(http, "GET", "corpora")["corpora"][0]["name"] == corpus


def count_chunks(http: httpx.Client, document: str) -> int:
    total, token = 0, None
    while True:
        params: dict[str, Any] = {"pageSize": 100, **({"pageToken": token} if token else {})}
        page = call(http, "GET", f"{document}/chunks", params=params)
        total += len(page.get("chunks", []))
        token = page.get("nextPageToken")
        if not token:
            return total


def test_sigkill_during_writes_keeps_every_acknowledged_batch_whole(tmp_path: Path) -> None:
    data, size = tmp_path / "data", 5
    acknowledged = 0
    with serve(data, "--embedder", "hash") as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            corpus, _ = populate(http)
            document = call(http, "POST", f"{corpus}/documents", json={})["name"]

        def write_batches() -> None:
            nonlocal acknowledged
            body = {
                "requests": [{"chunk": {"data": {"stringValue": f"row {i}"}}} for i in range(size)]
            }
            with httpx.Client(base_url=server.url, timeout=30) as writer:
                while True:
                    try:
                        response = writer.post(f"/v1beta/{document}/chunks:batchCreate", json=body)
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200, response.text
                    acknowledged += 1

        thread = threading.Thread(target=write_batches)
        thread.start()
        while acknowledged < 10:
            time.sleep(0.01)
        server.kill()
        thread.join(timeout=30)

    with serve(data, "--embedder", "hash") as again, httpx.Client(base_url=again.url) as http:
        stored = count_chunks(http, document)

    # Every acknowledged batch survived; the one in flight at the kill is all or nothing.
    assert stored % size == 0
    assert acknowledged * size <= stored <= (acknowledged + 1) * size


def test_serve_with_default_minilm_embedder(tmp_path: Path) -> None:
    with serve(tmp_path / "data") as server, httpx.Client(base_url=server.url, timeout=60) as http:
        corpus, _ = populate(http)

        # No shared words with the answer: only a real sentence embedder gets these right.
        assert top_text(http, corpus, "kitten") == TEXTS[0]
        assert top_text(http, corpus, "football match goal") == TEXTS[2]
        models = call(http, "GET", "models")["models"]
        assert "models/embedding-minilm" in [m["name"] for m in models]


def test_serve_with_auth_file_and_clean_shutdown(tmp_path: Path) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text('[[principal]]\nemail = "a@example.com"\napi_keys = ["k1"]\n', encoding="utf-8")
    args = ("--embedder", "hash", "--auth-file", str(auth), "--log-format", "json")
    with serve(tmp_path / "data", *args) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/v1beta/corpora").status_code == 401
        headers = {"x-goog-api-key": "k1", "x-request-id": "e2e-1"}
        assert http.get("/v1beta/corpora", headers=headers).json() == {}

    # One format for every line, uvicorn's included; requests logged with their latency.
    entries = [json.loads(line) for line in server.log.splitlines() if line.strip()]
    assert {"uvicorn.error", "ragkit.server", "ragkit.access"} <= {e["logger"] for e in entries}
    (access,) = [e for e in entries if e.get("request_id") == "e2e-1"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/v1beta/corpora", 200)
    assert access["latency_ms"] >= 0 and access["transport"] == "http"

    # Leaving serve() sends SIGTERM: uvicorn drains, the lifespan closes the service, and
    # uvicorn then re-raises the signal so the exit status still says SIGTERM.
    assert server.proc.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log
    assert "Traceback" not in server.log


def test_serve_refuses_a_broken_auth_file(tmp_path: Path) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text('[[principal]]\nemail = "a@example.com"\n', encoding="utf-8")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ragkit",
            "serve",
            "--data-dir",
            str(tmp_path),
            "--auth-file",
            str(auth),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "no api_keys or bearer_tokens" in result.stderr
