# ruff: noqa: UP031  (JSON templates read better with %s than with doubled braces)
"""Bounded property suite: generated requests never get a 5xx, every error is Google's body,
and a rejected request changes nothing stored.

Two generators, both seeded (``derandomize``) so CI sees the same cases every run:

- schemathesis, from the server's own OpenAPI description of the Semantic Retrieval
  operations (:mod:`ragkit.server.openapi`): bodies, query parameters and path IDs
  shaped like the API, mostly wrong in some way;
- hypothesis, on raw request bodies: valid bodies with one value replaced by something
  hostile (NaN, infinities, huge numbers, unpaired surrogates, deep nesting, wrong types).

One in-process server (hash embedder) serves the whole module; the stored state is
snapshotted around every request. Budget: about 30 s on an idle machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.openapi import OPERATIONS, semantic_retrieval_openapi
from ragkit.server.store.snapshot import snapshot

C, D, K = "corpora/c1", "corpora/c1/documents/d1", "corpora/c1/documents/d1/chunks/k1"


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


class Server:
    def __init__(self, http: TestClient, data_dir: Path) -> None:
        self.http = http
        self.data_dir = data_dir
        self.permission = ""

    def seed(self) -> None:
        """(Re)create the seeded corpus, document, chunk and permission if missing."""
        self.http.post("/v1beta/corpora", json={"name": C})
        self.http.post(f"/v1beta/{C}/documents", json={"name": D})
        self.http.post(f"/v1beta/{D}/chunks", json={"name": K, "data": {"stringValue": "seed"}})
        listed = self.http.get(f"/v1beta/{C}/permissions").json().get("permissions", [])
        readers = [p["name"] for p in listed if p.get("role") == "READER"]
        if not readers:
            created = self.http.post(
                f"/v1beta/{C}/permissions",
                json={"granteeType": "USER", "emailAddress": "r@example.com", "role": "READER"},
            )
            readers = [created.json()["name"]]
        self.permission = readers[0]

    def send(self, method: str, url: str, **kwargs: Any) -> None:
        """Send one request and check the three properties."""
        before = snapshot(self.data_dir)
        answer = self.http.request(method, url, **kwargs)
        assert answer.status_code < 500, (method, url, kwargs, answer.text)
        if answer.status_code >= 400:
            error = answer.json()["error"]
            assert error["code"] == answer.status_code, answer.text
            assert error["message"] and error["status"], answer.text
        if answer.status_code >= 400 or method == "GET" or url.endswith(":query"):
            assert snapshot(self.data_dir) == before, (method, url, kwargs, answer.text)
        elif method == "DELETE" or url.endswith(":batchDelete"):
            self.seed()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    app = create_app(ServerConfig(data_dir=data_dir, embedder="hash"))
    with TestClient(app, raise_server_exceptions=False) as http:
        running = Server(http, data_dir)
        running.seed()
        yield running


@pytest.fixture(scope="module")
def schema(server: Server) -> Any:
    ids = {
        "corpus": ["c1", "missing"],
        "document": ["d1", "missing"],
        "chunk": ["k1", "missing"],
        "permission": [server.permission.rsplit("/", 1)[-1], "missing"],
    }
    return schemathesis.openapi.from_dict(semantic_retrieval_openapi(ids))


@pytest.mark.parametrize(
    ("method", "path"),
    [(m.upper(), p) for _, m, p, _, _ in OPERATIONS],
    ids=[o[0] for o in OPERATIONS],
)
def test_schema_generated_requests(server: Server, schema: Any, method: str, path: str) -> None:
    strategy = schema[path][method].as_strategy()

    @bounded(12)
    @given(case=strategy)
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        server.send(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers={"content-type": "application/json"},
            content=json.dumps(kwargs["json"]).encode() if "json" in kwargs else None,
        )

    check()


HOSTILE = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e309", "1" + "0" * 30]),
    st.sampled_from(['"\\ud800"', '"a\\udfff"', '"\\udc00\\ud800"', '"\\u0000"', '""']),
    st.sampled_from(["[" * 150 + "]" * 150, '{"a":' * 150 + "1" + "}" * 150]),
    st.sampled_from(["true", "null", "[]", "{}", '"x" ', "-0", "1.5", '["a"]']),
    st.text(max_size=20).map(lambda t: json.dumps(t)),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

# Write requests with one hole ``%s`` where the hostile JSON value goes.
TEMPLATES = [
    ("POST", "/v1beta/corpora", '{"displayName": %s}'),
    ("PATCH", f"/v1beta/{C}?updateMask=displayName", '{"displayName": %s}'),
    ("POST", f"/v1beta/{C}/documents", '{"customMetadata": [{"key": "k", "numericValue": %s}]}'),
    ("POST", f"/v1beta/{C}/documents", '{"customMetadata": [{"key": %s, "stringValue": "v"}]}'),
    (
        "PATCH",
        f"/v1beta/{D}?updateMask=customMetadata",
        '{"customMetadata": [{"key": "k", "stringListValue": {"values": [%s]}}]}',
    ),
    ("POST", f"/v1beta/{D}/chunks", '{"data": {"stringValue": %s}}'),
    (
        "POST",
        f"/v1beta/{D}/chunks:batchCreate",
        '{"requests": [{"chunk": {"data": {"stringValue": "t"}, '
        '"customMetadata": [{"key": "k", "numericValue": %s}]}}]}',
    ),
    (
        "POST",
        f"/v1beta/{D}/chunks:batchUpdate",
        '{"requests": [{"chunk": {"name": "%s", "customMetadata": '
        '[{"key": "k", "stringValue": %%s}]}, "updateMask": "customMetadata"}]}' % K,
    ),
    ("POST", f"/v1beta/{D}/chunks:batchDelete", '{"requests": [{"name": %s}]}'),
    (
        "POST",
        f"/v1beta/{C}/permissions",
        '{"granteeType": "USER", "role": "READER", "emailAddress": %s}',
    ),
    ("POST", f"/v1beta/{C}:query", '{"query": "q", "resultsCount": %s}'),
    (
        "POST",
        f"/v1beta/{C}:query",
        '{"query": "q", "metadataFilters": [{"key": "chunk.custom_metadata.k", '
        '"conditions": [{"operation": "LESS", "numericValue": %s}]}]}',
    ),
]


@bounded(150)
@given(template=st.sampled_from(TEMPLATES), value=HOSTILE)
def test_hostile_values_in_request_bodies(
    server: Server, template: tuple[str, str, str], value: str
) -> None:
    method, url, body = template
    server.send(
        method, url, content=(body % value).encode(), headers={"content-type": "application/json"}
    )
