"""No statement on the write or query hot path scans a corpus-sized table.

The statements are not listed by hand: a real server (in-process, over HTTP) runs the hot
requests (batchCreate, create, get, list, update, delete, corpora:query and
documents:query with and without filters, generateAnswer) while
:meth:`Database.trace <ragkit.server.store.Database.trace>` records every statement SQLite
executes; each one is then explained with ``EXPLAIN QUERY PLAN``. A plan that scans a
table whose size follows the corpus (``SCAN chunks``), or searches it by ``corpus_id``
alone (a scan of the whole corpus in disguise), fails the test with the statement.

Loading a corpus's indexes reads the whole corpus on purpose, once; the test loads them
before it starts recording.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.store.connection import DATABASE_FILENAME

from ..http.conftest import running

#: Tables whose row count grows with a corpus's documents and chunks.
_CORPUS_SIZED = ("chunks", "documents", "chunk_metadata", "document_metadata", "pending_vectors")
_SCAN = re.compile(rf"^SCAN ({'|'.join(_CORPUS_SIZED)})\b")
# A search bounded only by the corpus (and the chunk state) visits every row of it.
_CORPUS_WIDE = re.compile(
    rf"^SEARCH ({'|'.join(_CORPUS_SIZED)}) USING .*\((corpus_id=\?( AND state=\?)?)\)$"
)
# ...unless it is a keyset page: read in index order, nothing else to check, up to a LIMIT.
_KEYSET_PAGE = re.compile(
    r"WHERE corpus_id = \S+( AND \(create_time, id\) > \([^)]*\))?"
    r" ORDER BY create_time, id LIMIT \d+$"
)
_SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

DOCS = "/v1beta/corpora/c/documents"


def _chunk(text: str, **metadata: Any) -> dict[str, Any]:
    entries = [
        {"key": k, "numericValue": v} if isinstance(v, int) else {"key": k, "stringValue": v}
        for k, v in metadata.items()
    ]
    return {"data": {"stringValue": text}, "customMetadata": entries}


def _batch(texts: list[str], offset: int = 0) -> dict[str, Any]:
    return {
        "requests": [
            {"chunk": _chunk(text, page=offset + i, section=f"s{i % 3}")}
            for i, text in enumerate(texts)
        ]
    }


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _seed(http: httpx.AsyncClient) -> None:
    await _ok(await http.post("/v1beta/corpora", json={"name": "corpora/c"}))
    for doc in ("a", "b"):
        await _ok(
            await http.post(
                DOCS,
                json={"name": f"corpora/c/documents/{doc}", "customMetadata": [
                    {"key": "kind", "stringValue": doc}
                ]},
            )
        )  # fmt: skip
        texts = [f"Guide {doc} > Part {i}\nVacuum reclaims storage {i} {doc}." for i in range(30)]
        await _ok(await http.post(f"{DOCS}/{doc}/chunks:batchCreate", json=_batch(texts)))
    # Load the vector and keyword indexes (reads the whole corpus once, by design).
    await _ok(await http.post("/v1beta/corpora/c:query", json={"query": "vacuum"}))


async def _hot_path(http: httpx.AsyncClient) -> None:
    await _ok(await http.get("/v1beta/corpora"))
    await _ok(await http.get("/v1beta/corpora/c"))
    await _ok(await http.post(DOCS, json={"name": "corpora/c/documents/n"}))
    await _ok(await http.get(f"{DOCS}/a"))
    await _ok(await http.get(DOCS, params={"pageSize": 1}))
    # Half the texts are already stored: their embeddings are looked up and reused.
    texts = [f"Guide a > Part {i}\nVacuum reclaims storage {i} a." for i in range(5)]
    texts += [f"Fresh text {i} about checkpoints." for i in range(5)]
    created = await _ok(await http.post(f"{DOCS}/n/chunks:batchCreate", json=_batch(texts)))
    names = [c["name"] for c in created["chunks"]]
    one = await _ok(await http.post(f"{DOCS}/n/chunks", json=_chunk("A single chunk.", page=1)))
    await _ok(await http.get(f"/v1beta/{one['name']}"))
    page = await _ok(await http.get(f"{DOCS}/n/chunks", params={"pageSize": 3}))
    await _ok(
        await http.get(
            f"{DOCS}/n/chunks", params={"pageSize": 3, "pageToken": page["nextPageToken"]}
        )
    )
    await _ok(
        await http.patch(
            f"/v1beta/{one['name']}",
            params={"updateMask": "data,customMetadata"},
            json=_chunk("A changed chunk.", page=2),
        )
    )
    updates = {
        "requests": [
            {"chunk": {"name": names[0], **_chunk("Rewritten text.", page=9)},
             "updateMask": "data,customMetadata"}
        ]
    }  # fmt: skip
    await _ok(await http.post(f"{DOCS}/n/chunks:batchUpdate", json=updates))
    await _ok(
        await http.patch(
            f"{DOCS}/n",
            params={"updateMask": "customMetadata"},
            json={"customMetadata": [{"key": "kind", "stringValue": "n"}]},
        )
    )
    for filters in (
        None,
        [
            {
                "key": "chunk.custom_metadata.page",
                "conditions": [{"operation": "GREATER", "numericValue": 3}],
            }
        ],
        [
            {
                "key": "chunk.custom_metadata.section",
                "conditions": [{"operation": "EQUAL", "stringValue": "s1"}],
            }
        ],
        [
            {
                "key": "document.custom_metadata.kind",
                "conditions": [{"operation": "EQUAL", "stringValue": "a"}],
            }
        ],
    ):
        body: dict[str, Any] = {"query": "reclaim storage", "resultsCount": 5}
        if filters:
            body["metadataFilters"] = filters
        await _ok(await http.post("/v1beta/corpora/c:query", json=body))
    await _ok(await http.post(f"{DOCS}/a:query", json={"query": "storage"}))
    answer = {
        "contents": [{"role": "user", "parts": [{"text": "What reclaims storage?"}]}],
        "answerStyle": "EXTRACTIVE",
        "semanticRetriever": {"source": "corpora/c", "query": {"parts": [{"text": "vacuum"}]}},
    }
    response = await http.post("/v1beta/models/aqa:generateAnswer", json=answer)
    assert response.status_code == 200, response.text
    deletes = {"requests": [{"name": names[1]}, {"name": names[2]}]}
    await _ok(await http.post(f"{DOCS}/n/chunks:batchDelete", json=deletes))
    await _ok(await http.delete(f"/v1beta/{names[3]}"))
    await _ok(await http.delete(f"{DOCS}/n", params={"force": "true"}))


def _corpus_scans(database: Path, statements: list[str]) -> list[tuple[str, str]]:
    conn = sqlite3.connect(database)
    try:
        found = []
        for sql in dict.fromkeys(statements):
            if _SKIP.match(sql):
                continue
            plan = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            paged = _KEYSET_PAGE.search(sql) and not any("TEMP B-TREE" in d for d in plan)
            for detail in plan:
                if _SCAN.match(detail) or (_CORPUS_WIDE.match(detail) and not paged):
                    found.append((detail, sql[:300]))
        return found
    finally:
        conn.close()


async def test_hot_statements_never_scan_a_corpus(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, embedder="hash", ranking="hybrid")
    app = create_app(config)
    async with running(app) as http:
        await _seed(http)
        database = app.state.ragkit.service._db
        statements: list[str] = []
        database.trace(statements.append)
        try:
            await _hot_path(http)
        finally:
            database.trace(None)
    assert len(statements) > 50  # the recording saw the requests
    assert any("chunks" in s and s.lstrip().upper().startswith("INSERT") for s in statements)
    assert _corpus_scans(tmp_path / DATABASE_FILENAME, statements) == []


def test_the_check_sees_a_corpus_wide_search(tmp_path: Path) -> None:
    """The old text lookup (a prefix index SQLite used by corpus only) is caught."""
    from ragkit.server.store import Database

    Database.open(tmp_path).close()
    old_lookup = (
        "SELECT vector FROM chunks WHERE corpus_id = 1 AND substr(text, 1, 48) = 'x'"
        " AND text = 'x' LIMIT 1"
    )
    scans = _corpus_scans(tmp_path / DATABASE_FILENAME, [old_lookup, "SELECT id FROM chunks"])
    assert [detail.split(" USING")[0] for detail, _ in scans] == ["SEARCH chunks", "SCAN chunks"]
