"""Corpora, documents, chunks and permissions: each call's request and result, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit import types as t
from tests.client._cases import CHUNK, DOC, Case, case_ids, check_case
from tests.client.conftest import FakeAPI, resolve

CORPORA = [
    Case(
        "corpora.create",
        (),
        {"name": "c1", "display_name": "C"},
        "POST",
        "/v1beta/corpora",
        body={"name": "corpora/c1", "displayName": "C"},
        reply={"name": "corpora/c1"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.create",
        (),
        {"display_name": "Auto"},
        "POST",
        "/v1beta/corpora",
        body={"displayName": "Auto"},
        reply={"name": "corpora/auto-x"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.get",
        ("c1",),
        {},
        "GET",
        "/v1beta/corpora/c1",
        reply={"name": "corpora/c1"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.list",
        (),
        {"page_size": 5},
        "GET",
        "/v1beta/corpora",
        {"pageSize": "5"},
        reply={"corpora": [{"name": "corpora/c1"}]},
        returns=[t.Corpus],
    ),
    Case(
        "corpora.update",
        ("corpora/c1",),
        {"display_name": "N"},
        "PATCH",
        "/v1beta/corpora/c1",
        {"updateMask": "displayName"},
        {"name": "corpora/c1", "displayName": "N"},
        {"name": "corpora/c1"},
        t.Corpus,
    ),
    Case(
        "corpora.delete",
        ("c1",),
        {"force": True},
        "DELETE",
        "/v1beta/corpora/c1",
        {"force": "true"},
    ),
    Case("corpora.delete", ("c1",), {}, "DELETE", "/v1beta/corpora/c1"),
    Case(
        "corpora.query",
        ("c1", "what"),
        {
            "metadata_filters": [
                {
                    "key": "chunk.custom_metadata.year",
                    "conditions": [{"numeric_value": 2020, "operation": "GREATER"}],
                }
            ],
            "results_count": 5,
        },
        "POST",
        "/v1beta/corpora/c1:query",
        body={
            "query": "what",
            "resultsCount": 5,
            "metadataFilters": [
                {
                    "key": "chunk.custom_metadata.year",
                    "conditions": [{"numericValue": 2020.0, "operation": "GREATER"}],
                }
            ],
        },
        reply={"relevantChunks": [{"chunkRelevanceScore": 0.5, "chunk": {"name": CHUNK}}]},
        returns=t.QueryCorpusResponse,
    ),
]

DOCUMENTS = [
    Case(
        "corpora.documents.create",
        ("c1",),
        {
            "name": "d1",
            "display_name": "D",
            "custom_metadata": {"year": 2020, "tags": ["a", "b"], "author": "Ada"},
        },
        "POST",
        "/v1beta/corpora/c1/documents",
        body={
            "name": DOC,
            "displayName": "D",
            "customMetadata": [
                {"key": "year", "numericValue": 2020.0},
                {"key": "tags", "stringListValue": {"values": ["a", "b"]}},
                {"key": "author", "stringValue": "Ada"},
            ],
        },
        reply={"name": DOC},
        returns=t.Document,
    ),
    Case(
        "corpora.documents.get",
        (DOC,),
        {},
        "GET",
        f"/v1beta/{DOC}",
        reply={"name": DOC},
        returns=t.Document,
    ),
    Case(
        "corpora.documents.list",
        ("corpora/c1",),
        {"page_size": 20},
        "GET",
        "/v1beta/corpora/c1/documents",
        {"pageSize": "20"},
        reply={"documents": [{"name": DOC}]},
        returns=[t.Document],
    ),
    Case(
        "corpora.documents.update",
        (DOC,),
        {"display_name": "E", "custom_metadata": []},
        "PATCH",
        f"/v1beta/{DOC}",
        {"updateMask": "displayName,customMetadata"},
        {"name": DOC, "displayName": "E", "customMetadata": []},
        {"name": DOC},
        t.Document,
    ),
    Case(
        "corpora.documents.delete",
        (DOC,),
        {"force": True},
        "DELETE",
        f"/v1beta/{DOC}",
        {"force": "true"},
    ),
    Case(
        "corpora.documents.query",
        (DOC, "q"),
        {"results_count": 3},
        "POST",
        f"/v1beta/{DOC}:query",
        body={"query": "q", "resultsCount": 3},
        reply={"relevantChunks": []},
        returns=t.QueryDocumentResponse,
    ),
]

CHUNKS = [
    Case(
        "corpora.documents.chunks.create",
        (DOC,),
        {"data": "text", "name": "k1", "custom_metadata": {"n": 1}},
        "POST",
        f"/v1beta/{DOC}/chunks",
        body={
            "name": CHUNK,
            "data": {"stringValue": "text"},
            "customMetadata": [{"key": "n", "numericValue": 1.0}],
        },
        reply={"name": CHUNK, "state": "STATE_PENDING_PROCESSING"},
        returns=t.Chunk,
    ),
    Case(
        "corpora.documents.chunks.get",
        (CHUNK,),
        {},
        "GET",
        f"/v1beta/{CHUNK}",
        reply={"name": CHUNK},
        returns=t.Chunk,
    ),
    Case(
        "corpora.documents.chunks.list",
        (DOC,),
        {"page_size": 100},
        "GET",
        f"/v1beta/{DOC}/chunks",
        {"pageSize": "100"},
        reply={"chunks": [{"name": CHUNK}]},
        returns=[t.Chunk],
    ),
    Case(
        "corpora.documents.chunks.update",
        (CHUNK,),
        {"data": "new"},
        "PATCH",
        f"/v1beta/{CHUNK}",
        {"updateMask": "data"},
        {"name": CHUNK, "data": {"stringValue": "new"}},
        {"name": CHUNK},
        t.Chunk,
    ),
    Case("corpora.documents.chunks.delete", (CHUNK,), {}, "DELETE", f"/v1beta/{CHUNK}"),
    Case(
        "corpora.documents.chunks.batch_create",
        (
            DOC,
            [
                "a",
                t.Chunk(name="k2", data=t.ChunkData(string_value="b")),
                {"chunk": {"data": {"stringValue": "c"}}, "parent": DOC},
            ],
        ),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchCreate",
        body={
            "requests": [
                {"parent": DOC, "chunk": {"data": {"stringValue": "a"}}},
                {
                    "parent": DOC,
                    "chunk": {"name": f"{DOC}/chunks/k2", "data": {"stringValue": "b"}},
                },
                {"parent": DOC, "chunk": {"data": {"stringValue": "c"}}},
            ]
        },
        reply={"chunks": [{"name": CHUNK}]},
        returns=t.BatchCreateChunksResponse,
    ),
    Case(
        "corpora.documents.chunks.batch_update",
        (
            DOC,
            [
                (t.Chunk(name="k1", data=t.ChunkData(string_value="x")), "data"),
                {"chunk": {"name": CHUNK, "customMetadata": []}, "update_mask": "custom_metadata"},
            ],
        ),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchUpdate",
        body={
            "requests": [
                {"chunk": {"name": CHUNK, "data": {"stringValue": "x"}}, "updateMask": "data"},
                {"chunk": {"name": CHUNK, "customMetadata": []}, "updateMask": "customMetadata"},
            ]
        },
        reply={"chunks": []},
        returns=t.BatchUpdateChunksResponse,
    ),
    Case(
        "corpora.documents.chunks.batch_delete",
        (DOC, ["k1", f"{DOC}/chunks/k2"]),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchDelete",
        body={"requests": [{"name": CHUNK}, {"name": f"{DOC}/chunks/k2"}]},
    ),
]

PERMS = "/v1beta/corpora/c1/permissions"
PERMISSIONS = [
    Case(
        "corpora.permissions.create",
        ("c1",),
        {"role": "READER", "grantee_type": "EVERYONE"},
        "POST",
        PERMS,
        body={"role": "READER", "granteeType": "EVERYONE"},
        reply={"name": "corpora/c1/permissions/p1", "role": "READER"},
        returns=t.Permission,
    ),
    Case(
        "corpora.permissions.get",
        ("corpora/c1/permissions/p1",),
        {},
        "GET",
        f"{PERMS}/p1",
        reply={"role": "OWNER"},
        returns=t.Permission,
    ),
    Case(
        "corpora.permissions.list",
        ("c1",),
        {"page_size": 1000},
        "GET",
        PERMS,
        {"pageSize": "1000"},
        reply={"permissions": [{"role": "WRITER"}]},
        returns=[t.Permission],
    ),
    Case(
        "corpora.permissions.update",
        ("corpora/c1/permissions/p1",),
        {"role": t.Role.WRITER},
        "PATCH",
        f"{PERMS}/p1",
        {"updateMask": "role"},
        {"role": "WRITER"},
        {"role": "WRITER"},
        t.Permission,
    ),
    Case("corpora.permissions.delete", ("corpora/c1/permissions/p1",), {}, "DELETE", f"{PERMS}/p1"),
    Case(
        "tuned_models.permissions.create",
        ("t1",),
        {"role": "WRITER", "grantee_type": "USER", "email_address": "a@b.c"},
        "POST",
        "/v1beta/tunedModels/t1/permissions",
        body={"role": "WRITER", "granteeType": "USER", "emailAddress": "a@b.c"},
        reply={"role": "WRITER"},
        returns=t.Permission,
    ),
    Case(
        "tuned_models.permissions.list",
        ("tunedModels/t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/permissions",
        reply={},
        returns=[],
    ),
]

ALL_CASES = CORPORA + DOCUMENTS + CHUNKS + PERMISSIONS


@pytest.mark.parametrize("case", ALL_CASES, ids=case_ids(ALL_CASES))
async def test_request_and_response(case: Case, client: Any, api: FakeAPI) -> None:
    await check_case(case, client, api)


async def test_typed_model_inputs_are_accepted(client: Any, api: FakeAPI) -> None:
    filters = [
        t.MetadataFilter(
            key="document.custom_metadata.lang",
            conditions=[t.Condition(string_value="en", operation=t.Operator.EQUAL)],
        )
    ]
    metadata = [t.CustomMetadata(key="lang", string_value="en")]
    await resolve(client.corpora.query("c1", "q", metadata_filters=filters))
    await resolve(client.corpora.documents.create("c1", custom_metadata=metadata))
    assert api.body(0)["metadataFilters"][0]["conditions"] == [
        {"stringValue": "en", "operation": "EQUAL"}
    ]
    assert api.body(1) == {"customMetadata": [{"key": "lang", "stringValue": "en"}]}
