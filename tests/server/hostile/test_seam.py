"""The write/render seam: a response that fails to render leaves nothing committed, and a
data folder poisoned by an older version serves again after migration m003."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.http.deps import Caller, Service
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.store import DATABASE_FILENAME
from ragkit.server.store.migrations import MIGRATIONS
from ragkit.types import Corpus


def _app_with_unrenderable_route(data_dir: Path) -> FastAPI:
    app = create_app(ServerConfig(data_dir=data_dir, embedder="hash"))

    def create_then_fail(service: Service, who: Caller) -> JSONResponse:
        service.create_corpus(who, Corpus(display_name="never"))
        return JSONResponse({"score": float("nan")})  # JSON has no NaN: rendering raises

    app.router.add_api_route(
        "/v1beta/test:unrenderable",
        create_then_fail,
        methods=["POST"],
        route_class_override=CommitAfterRender,
    )
    return app


async def test_a_write_whose_response_fails_to_render_is_rolled_back(tmp_path: Path) -> None:
    app = _app_with_unrenderable_route(tmp_path / "data")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            answer = await http.post("/v1beta/test:unrenderable")
            assert answer.status_code == 500
            assert answer.json()["error"]["status"] == "INTERNAL"
            assert (await http.get("/v1beta/corpora")).json() == {}
            # The write lock was released: the next write goes through.
            created = await http.post("/v1beta/corpora", json={"displayName": "ok"})
            assert created.status_code == 200


async def test_a_folder_poisoned_by_an_older_version_serves_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    app = create_app(ServerConfig(data_dir=data_dir, embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            await http.post("/v1beta/corpora", json={"name": "corpora/c"})
            await http.post("/v1beta/corpora/c/documents", json={"name": "corpora/c/documents/d"})
            chunk = {"name": "corpora/c/documents/d/chunks/k", "data": {"stringValue": "t"}}
            await http.post("/v1beta/corpora/c/documents/d/chunks", json=chunk)
    # What an older version stored for 1e999, NaN and "\ud800" (json.dumps allows them).
    poison = [
        {"key": "big", "numericValue": float("inf")},
        {"key": "nan", "numericValue": float("nan")},
        {"key": "s\ud800", "stringValue": "x\udfff"},
        {"key": "ok", "numericValue": 2.5},
    ]
    conn = sqlite3.connect(data_dir / DATABASE_FILENAME)
    with conn:
        conn.execute("UPDATE documents SET custom_metadata = ?", (json.dumps(poison),))
        conn.execute("UPDATE chunks SET custom_metadata = ?", (json.dumps(poison),))
        repair = next(m for m in MIGRATIONS if m.__name__.endswith("renderable_metadata"))
        conn.execute("DELETE FROM _migrations WHERE name = ?", (repair.__name__[1:],))
    conn.close()

    app = create_app(ServerConfig(data_dir=data_dir, embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            for path in ("corpora/c/documents/d", "corpora/c/documents/d/chunks/k"):
                answer = await http.get(f"/v1beta/{path}")
                assert answer.status_code == 200, answer.text
                assert answer.json()["customMetadata"] == [
                    {"key": "big", "stringValue": "Infinity"},
                    {"key": "nan", "stringValue": "NaN"},
                    {"key": "s\ufffd", "stringValue": "x\ufffd"},
                    {"key": "ok", "numericValue": 2.5},
                ]
            query = await http.post(
                "/v1beta/corpora/c:query",
                json={
                    "query": "t",
                    "metadataFilters": [
                        {
                            "key": "chunk.custom_metadata.big",
                            "conditions": [{"stringValue": "Infinity", "operation": "EQUAL"}],
                        }
                    ],
                },
            )
            assert query.status_code == 200, query.text
            assert len(query.json()["relevantChunks"]) == 1
