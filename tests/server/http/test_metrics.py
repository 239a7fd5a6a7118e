"""GET /metrics: request counts and latency by route template, embedding lanes, indexes,
warm-up; per-app registries; no tenant data."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service.indexes import CorpusIndexes

from .conftest import running, two_users
from .test_readiness import _populate

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def http_count(samples: Samples, method: str, code: str) -> float:
    return value(samples, "ragkit_requests_total", transport="http", method=method, code=code)


async def test_requests_are_counted_by_route_template_and_status(tmp_path: Path) -> None:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        for name in ("alpha-secret-name", "beta-secret-name"):
            assert (
                await client.post("/v1beta/corpora", json={"name": f"corpora/{name}"})
            ).is_success
        assert (await client.get("/v1beta/corpora/alpha-secret-name")).status_code == 200
        assert (await client.get("/v1beta/corpora/no-such-corpus")).status_code in (403, 404)
        assert (await client.head("/v1beta/corpora")).status_code == 200
        assert (await client.get("/v1/models/aqa")).status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
        samples = await scrape(client)
        text = (await client.get("/metrics")).text

    assert http_count(samples, "POST /v1beta/corpora", "200") == 2
    assert http_count(samples, "GET /v1beta/corpora/{corpus}", "200") == 1
    missing = http_count(samples, "GET /v1beta/corpora/{corpus}", "403") + http_count(
        samples, "GET /v1beta/corpora/{corpus}", "404"
    )
    assert missing == 1
    assert http_count(samples, "HEAD /v1beta/corpora", "200") == 1
    assert http_count(samples, "GET /v1/models/{model}", "200") == 1
    assert http_count(samples, "unmatched", "404") == 1
    # The histogram saw every request of a route, errors included.
    count = "ragkit_request_duration_seconds_count"
    assert value(samples, count, transport="http", method="POST /v1beta/corpora") == 2
    assert value(samples, count, transport="http", method="GET /v1beta/corpora/{corpus}") == 2
    total = value(samples, "ragkit_request_duration_seconds_sum", transport="http",
                  method="POST /v1beta/corpora")  # fmt: skip
    assert 0 < total < 30
    # Aggregates only: no corpus name, no raw path.
    assert "secret-name" not in text and "no-such-corpus" not in text
    assert value(samples, "ragkit_corpora") == 2
    assert value(samples, "ragkit_info", version=app.version, embedder="hash") == 1


async def test_index_sizes_and_embedding_counters(tmp_path: Path) -> None:
    _populate(tmp_path / "data")  # corpora/c: 3 chunks
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        for _ in range(100):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        before = await scrape(client)
        assert (await client.post("/v1beta/corpora/c:query", json={"query": "ocean"})).is_success
        body = {"requests": [{"chunk": {"data": {"stringValue": f"wave {i}"}}} for i in range(4)]}
        created = await client.post("/v1beta/corpora/c/documents/d/chunks:batchCreate", json=body)
        assert created.is_success
        after = await scrape(client)

    assert value(after, "ragkit_ready") == 1
    assert value(after, "ragkit_chunks") == 7
    assert value(after, "ragkit_index_corpora") == 1
    assert value(after, "ragkit_index_vectors") == 7
    assert value(after, "ragkit_index_largest_vectors") == 7
    assert value(after, "ragkit_index_hnsw_corpora", state="ready") == 0
    assert value(after, "ragkit_warmup_corpora_total") == 1
    assert value(after, "ragkit_warmup_chunks_done") == 3
    # One query text on the priority lane, four chunk texts on the bulk lane.
    query = value(after, "ragkit_embed_texts_total", lane="query")
    assert query - value(before, "ragkit_embed_texts_total", lane="query") == 1
    assert value(after, "ragkit_embed_texts_total", lane="bulk") == 4
    assert value(after, "ragkit_embed_queue_limit") == 8
    assert value(after, "ragkit_embed_bulk_jobs", state="running") == 0


async def test_warm_up_progress_until_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(tmp_path / "data")
    gate = threading.Event()
    warm = CorpusIndexes.warm

    def gated_warm(self: CorpusIndexes, stop: threading.Event, **kwargs: object) -> tuple[int, int]:
        gate.wait(30)
        return warm(self, stop, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CorpusIndexes, "warm", gated_warm)
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        loading = await scrape(client)
        gate.set()
        for _ in range(200):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        ready = await scrape(client)
    assert value(loading, "ragkit_ready") == 0
    assert value(loading, "ragkit_warmup_chunks_done") == 0
    assert value(ready, "ragkit_ready") == 1
    assert value(ready, "ragkit_warmup_chunks_total") == 3
    assert value(ready, "ragkit_warmup_chunks_done") == 3
    assert value(ready, "ragkit_warmup_corpora_done") == 1


async def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    first = create_app(ServerConfig(data_dir=tmp_path / "a", embedder="hash"))
    second = create_app(ServerConfig(data_dir=tmp_path / "b", embedder="hash"))
    async with running(first) as one, running(second) as two:
        for _ in range(3):
            await one.get("/v1beta/corpora")
        await two.get("/v1beta/corpora")
        assert http_count(await scrape(one), "GET /v1beta/corpora", "200") == 3
        assert http_count(await scrape(two), "GET /v1beta/corpora", "200") == 1


async def test_metrics_need_no_key_and_show_no_tenant_data(tmp_path: Path) -> None:
    async with two_users(tmp_path) as (alice, _bob):
        created = await alice.post("/v1beta/corpora", json={"displayName": "Alice's payroll"})
        assert created.is_success
        corpus = created.json()["name"]
        permission = {"role": "READER", "granteeType": "USER", "emailAddress": "bob@example.com"}
        assert (await alice.post(f"/v1beta/{corpus}/permissions", json=permission)).is_success
        anonymous = httpx.AsyncClient(transport=alice._transport, base_url="http://ragkit")
        async with anonymous:
            assert (await anonymous.get("/v1beta/corpora")).status_code == 401
            response = await anonymous.get("/metrics")
    assert response.status_code == 200
    for secret in ("alice", "bob", "payroll", corpus.split("/")[1], "alice-key", "bob-token"):
        assert secret not in response.text.lower()
    assert "ragkit_requests_total" in response.text


async def test_openmetrics_when_asked(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


async def test_a_scrape_while_the_store_closes_still_answers(tmp_path: Path) -> None:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        service = app.state.ragkit.service
        service._db.close()  # as during shutdown, between the scrape's two reads
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert "ragkit_ready 0.0" in response.text
    assert "ragkit_embed_queue_limit" in response.text
