"""Malformed names and broken limits fail locally, before any request is sent."""

from __future__ import annotations

from typing import Any

import pytest

import ragkit
from tests.client.conftest import FakeAPI, resolve

DOC = "corpora/c1/documents/d1"
TOO_MANY = [f"k{i}" for i in range(101)]

BAD_NAMES = [
    lambda c: c.corpora.get("Bad_ID"),
    lambda c: c.corpora.get("corpora/-x"),
    lambda c: c.corpora.get("x" * 41),
    lambda c: c.corpora.create(name="documents/x"),
    lambda c: c.corpora.documents.get("d1"),  # bare document IDs are ambiguous
    lambda c: c.corpora.documents.create("c1", name="corpora/other/documents/d1"),
    lambda c: c.corpora.documents.chunks.get(f"{DOC}/chunk/k1"),
    lambda c: c.corpora.documents.chunks.batch_delete(DOC, ["corpora/c1/documents/d2/chunks/k"]),
    lambda c: c.corpora.documents.chunks.batch_create(
        DOC, [{"chunk": {"data": {"string_value": "a"}}, "parent": "corpora/c1/documents/d2"}]
    ),
    lambda c: c.corpora.permissions.get("corpora/c1/permission/p1"),
    lambda c: c.corpora.permissions.list("corpora/C1"),
    lambda c: c.models.get("models/a/b"),
    lambda c: c.models.operations.get("models/veo/o1"),
    lambda c: c.files.get("files/Bad"),
    lambda c: c.files.upload(b"x", mime_type="text/plain", name="files/UP"),
    lambda c: c.tuned_models.get("tunedModels/a_b"),
    lambda c: c.batches.cancel("operations/b1"),
    lambda c: c.cached_contents.get(""),
]

BROKEN_LIMITS = [
    (lambda c: c.corpora.list(page_size=21), "MAX_CORPORA_PAGE_SIZE=20"),
    (lambda c: c.corpora.list(page_size=0), "MAX_CORPORA_PAGE_SIZE"),
    (lambda c: c.corpora.documents.list("c1", page_size=21), "MAX_DOCUMENTS_PAGE_SIZE=20"),
    (lambda c: c.corpora.documents.chunks.list(DOC, page_size=101), "MAX_CHUNKS_PAGE_SIZE=100"),
    (lambda c: c.corpora.permissions.list("c1", page_size=1001), "MAX_PERMISSIONS_PAGE_SIZE"),
    (lambda c: c.models.list(page_size=1001), "MAX_MODELS_PAGE_SIZE"),
    (lambda c: c.files.list(page_size=101), "MAX_FILES_PAGE_SIZE"),
    (lambda c: c.cached_contents.list(page_size=1001), "MAX_CACHED_CONTENTS_PAGE_SIZE"),
    (lambda c: c.tuned_models.list(page_size=1001), "MAX_TUNED_MODELS_PAGE_SIZE"),
    (lambda c: c.corpora.create(display_name="x" * 513), "MAX_DISPLAY_NAME_LENGTH=512"),
    (lambda c: c.corpora.update("c1", display_name="x" * 513), "MAX_DISPLAY_NAME_LENGTH"),
    (
        lambda c: c.cached_contents.create(model="m", display_name="x" * 129),
        "MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH=128",
    ),
    (lambda c: c.corpora.query("c1", "q", results_count=101), "MAX_RESULTS_COUNT=100"),
    (lambda c: c.corpora.query("c1", "q", results_count=0), "MAX_RESULTS_COUNT"),
    (lambda c: c.corpora.documents.query(DOC, "q", results_count=500), "MAX_RESULTS_COUNT"),
    (
        lambda c: c.corpora.documents.create("c1", custom_metadata={f"k{i}": i for i in range(21)}),
        "MAX_CUSTOM_METADATA=20",
    ),
    (
        lambda c: c.corpora.documents.chunks.batch_create(
            DOC, [{"data": {"string_value": "a"}, "custom_metadata": [{"key": "k"}] * 21}]
        ),
        "MAX_CUSTOM_METADATA",
    ),
    (lambda c: c.corpora.documents.chunks.batch_create(DOC, ["a"] * 101), "MAX_CHUNKS_PER_BATCH"),
    (lambda c: c.corpora.documents.chunks.batch_create(DOC, []), "MAX_CHUNKS_PER_BATCH"),
    (lambda c: c.corpora.documents.chunks.batch_delete(DOC, TOO_MANY), "MAX_CHUNKS_PER_BATCH"),
    (
        lambda c: c.corpora.documents.chunks.batch_update(
            DOC, [({"name": k, "data": {"string_value": "a"}}, "data") for k in TOO_MANY]
        ),
        "MAX_CHUNKS_PER_BATCH",
    ),
    (lambda c: c.models.batch_embed_contents("m", requests=["a"] * 101), "MAX_EMBED_BATCH"),
    (lambda c: c.models.batch_embed_text("m", texts=["a"] * 101), "MAX_EMBED_BATCH"),
    (
        lambda c: c.models.generate_content(
            "m", contents="x", generation_config={"stop_sequences": list("abcdef")}
        ),
        "MAX_STOP_SEQUENCES=5",
    ),
]

BAD_ARGUMENTS = [
    lambda c: c.corpora.documents.update(DOC),
    lambda c: c.corpora.documents.chunks.update(f"{DOC}/chunks/k1"),
    lambda c: c.models.count_tokens("m"),
    lambda c: c.models.generate_answer("aqa", contents="q", answer_style="ABSTRACTIVE"),
    lambda c: c.models.batch_embed_text("m"),
    lambda c: c.cached_contents.update("abc"),
    lambda c: c.cached_contents.update("abc", ttl=1, expire_time="2026-01-01T00:00:00Z"),
    lambda c: c.tuned_models.update("t1"),
    lambda c: c.corpora.documents.chunks.batch_delete(DOC, "k1"),
    lambda c: c.corpora.documents.create("c1", custom_metadata={"flag": True}),
]


@pytest.mark.parametrize("call", BAD_NAMES)
async def test_bad_names(client: Any, api: FakeAPI, call: Any) -> None:
    with pytest.raises(ragkit.ResourceNameError):
        await resolve(call(client))
    assert api.requests == []


@pytest.mark.parametrize(("call", "limit"), BROKEN_LIMITS)
async def test_broken_limits(client: Any, api: FakeAPI, call: Any, limit: str) -> None:
    with pytest.raises(ragkit.LimitError, match=limit) as caught:
        await resolve(call(client))
    assert isinstance(caught.value, ValueError)
    assert api.requests == []


@pytest.mark.parametrize("call", BAD_ARGUMENTS)
async def test_bad_arguments(client: Any, api: FakeAPI, call: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        await resolve(call(client))
    assert api.requests == []


async def test_limits_at_the_edge_are_sent(client: Any, api: FakeAPI) -> None:
    await resolve(client.corpora.list(page_size=20))
    await resolve(client.corpora.query("c1", "q", results_count=100))
    await resolve(client.corpora.documents.chunks.batch_create(DOC, ["a"] * 100))
    assert len(api.requests) == 3


NON_FINITE = [
    lambda c: c.corpora.documents.create("c1", custom_metadata={"n": float("inf")}),
    lambda c: c.corpora.documents.create("c1", custom_metadata={"n": float("nan")}),
    lambda c: c.corpora.documents.chunks.create(
        DOC, data="text", custom_metadata=[{"key": "n", "numeric_value": float("-inf")}]
    ),
    lambda c: c.corpora.query(
        "c1",
        "q",
        metadata_filters=[
            {
                "key": "chunk.custom_metadata.n",
                "conditions": [{"operation": "LESS", "numeric_value": float("nan")}],
            }
        ],
    ),
]


@pytest.mark.parametrize("call", NON_FINITE)
async def test_non_finite_metadata_numbers_fail_locally(
    client: Any, api: FakeAPI, call: Any
) -> None:
    with pytest.raises(ValueError, match="finite"):
        await resolve(call(client))
    assert api.requests == []
