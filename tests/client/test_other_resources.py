"""Files, generated files, cached contents, batches and tuned models, sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ragkit import types as t
from tests.client._cases import GEN_REPLY, USER_HI, Case, case_ids, check_case
from tests.client.conftest import FakeAPI, resolve

FILES = [
    Case(
        "files.get",
        ("f1",),
        {},
        "GET",
        "/v1beta/files/f1",
        reply={"name": "files/f1", "sizeBytes": "12", "state": "ACTIVE"},
        returns=t.File,
    ),
    Case(
        "files.get",
        ("files/batch-0123456789abcdef0123456789abcdef0123456789",),
        {},
        "GET",
        "/v1beta/files/batch-0123456789abcdef0123456789abcdef0123456789",
        returns=t.File,
    ),
    Case(
        "files.list",
        (),
        {"page_size": 100},
        "GET",
        "/v1beta/files",
        {"pageSize": "100"},
        reply={"files": [{"name": "files/f1"}]},
        returns=[t.File],
    ),
    Case("files.delete", ("files/f1",), {}, "DELETE", "/v1beta/files/f1"),
]

GENERATED = [
    Case(
        "generated_files.get",
        ("g1",),
        {},
        "GET",
        "/v1beta/generatedFiles/g1",
        reply={"name": "generatedFiles/g1", "state": "GENERATED"},
        returns=t.GeneratedFile,
    ),
    Case(
        "generated_files.list",
        (),
        {"page_size": 3},
        "GET",
        "/v1beta/generatedFiles",
        {"pageSize": "3"},
        reply={"generatedFiles": [{"name": "generatedFiles/g1"}]},
        returns=[t.GeneratedFile],
    ),
    Case(
        "generated_files.get_operation",
        ("generatedFiles/g1", "o1"),
        {},
        "GET",
        "/v1beta/generatedFiles/g1/operations/o1",
        reply={"done": True},
        returns=t.Operation,
    ),
]

CACHE = "/v1beta/cachedContents"
CACHED = [
    Case(
        "cached_contents.create",
        (),
        {
            "model": "gemini-1.5-flash-001",
            "contents": "long",
            "ttl": 3600,
            "display_name": "c",
            "system_instruction": "sys",
            "tools": [{"code_execution": {}}],
        },
        "POST",
        CACHE,
        body={
            "model": "models/gemini-1.5-flash-001",
            "contents": [{"parts": [{"text": "long"}], "role": "user"}],
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "tools": [{"codeExecution": {}}],
            "ttl": "3600s",
            "displayName": "c",
        },
        reply={"name": "cachedContents/abc"},
        returns=t.CachedContent,
    ),
    Case(
        "cached_contents.get",
        ("cachedContents/abc",),
        {},
        "GET",
        f"{CACHE}/abc",
        reply={"name": "cachedContents/abc"},
        returns=t.CachedContent,
    ),
    Case(
        "cached_contents.list",
        (),
        {"page_size": 10},
        "GET",
        CACHE,
        {"pageSize": "10"},
        reply={"cachedContents": [{"name": "cachedContents/abc"}]},
        returns=[t.CachedContent],
    ),
    Case(
        "cached_contents.update",
        ("abc",),
        {"expire_time": "2026-01-01T00:00:00Z"},
        "PATCH",
        f"{CACHE}/abc",
        {"updateMask": "expireTime"},
        {"name": "cachedContents/abc", "expireTime": "2026-01-01T00:00:00Z"},
        {"name": "cachedContents/abc"},
        t.CachedContent,
    ),
    Case(
        "cached_contents.update",
        ("abc",),
        {"ttl": 90.5},
        "PATCH",
        f"{CACHE}/abc",
        {"updateMask": "ttl"},
        {"name": "cachedContents/abc", "ttl": "90.5s"},
        {"name": "cachedContents/abc"},
        t.CachedContent,
    ),
    Case("cached_contents.delete", ("abc",), {}, "DELETE", f"{CACHE}/abc"),
]

BATCHES = [
    Case(
        "batches.get",
        ("batches/b1",),
        {},
        "GET",
        "/v1beta/batches/b1",
        reply={"name": "batches/b1", "metadata": {"state": "BATCH_STATE_RUNNING"}},
        returns=t.Operation,
    ),
    Case(
        "batches.list",
        (),
        {"page_size": 5},
        "GET",
        "/v1beta/batches",
        {"pageSize": "5"},
        reply={"operations": [{"name": "batches/b1"}]},
        returns=[t.Operation],
    ),
    Case("batches.cancel", ("b1",), {}, "POST", "/v1beta/batches/b1:cancel", body={}),
    Case("batches.delete", ("b1",), {}, "DELETE", "/v1beta/batches/b1"),
]

TUNED = [
    Case(
        "tuned_models.create",
        (),
        {
            "tuning_task": {
                "training_data": {"examples": {"examples": [{"text_input": "1", "output": "2"}]}}
            },
            "base_model": "models/gemini-1.0-pro-001",
            "tuned_model_id": "t1",
            "display_name": "T",
        },
        "POST",
        "/v1beta/tunedModels",
        {"tunedModelId": "t1"},
        body={
            "baseModel": "models/gemini-1.0-pro-001",
            "displayName": "T",
            "tuningTask": {
                "trainingData": {"examples": {"examples": [{"textInput": "1", "output": "2"}]}}
            },
        },
        reply={"name": "tunedModels/t1/operations/o1"},
        returns=t.CreateTunedModelOperation,
    ),
    Case(
        "tuned_models.get",
        ("t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1",
        reply={"name": "tunedModels/t1", "state": "ACTIVE"},
        returns=t.TunedModel,
    ),
    Case(
        "tuned_models.list",
        (),
        {"filter": "owner:me", "page_size": 10},
        "GET",
        "/v1beta/tunedModels",
        {"filter": "owner:me", "pageSize": "10"},
        reply={"tunedModels": [{"name": "tunedModels/t1"}]},
        returns=[t.TunedModel],
    ),
    Case(
        "tuned_models.update",
        ("tunedModels/t1",),
        {"description": "d", "temperature": 0.3},
        "PATCH",
        "/v1beta/tunedModels/t1",
        {"updateMask": "description,temperature"},
        {"name": "tunedModels/t1", "description": "d", "temperature": 0.3},
        {"name": "tunedModels/t1"},
        t.TunedModel,
    ),
    Case("tuned_models.delete", ("t1",), {}, "DELETE", "/v1beta/tunedModels/t1"),
    Case(
        "tuned_models.generate_content",
        ("t1",),
        {"contents": "hi"},
        "POST",
        "/v1beta/tunedModels/t1:generateContent",
        body={"contents": [USER_HI]},
        reply=GEN_REPLY,
        returns=t.GenerateContentResponse,
    ),
    Case(
        "tuned_models.transfer_ownership",
        ("t1",),
        {"email_address": "x@y.z"},
        "POST",
        "/v1beta/tunedModels/t1:transferOwnership",
        body={"emailAddress": "x@y.z"},
    ),
    Case(
        "tuned_models.operations.get",
        ("tunedModels/t1/operations/o1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/operations/o1",
        reply={"done": False},
        returns=t.Operation,
    ),
    Case(
        "tuned_models.operations.list",
        ("t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/operations",
        reply={"operations": [{"name": "tunedModels/t1/operations/o1"}]},
        returns=[t.Operation],
    ),
]

ALL_CASES = FILES + GENERATED + CACHED + BATCHES + TUNED


@pytest.mark.parametrize("case", ALL_CASES, ids=case_ids(ALL_CASES))
async def test_request_and_response(case: Case, client: Any, api: FakeAPI) -> None:
    await check_case(case, client, api)


async def test_download_returns_raw_bytes(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200, content=b"\x00\x01raw"))
    data = await resolve(client.files.download("files/f1"))
    assert data == b"\x00\x01raw"
    assert api.last.url.path == "/download/v1beta/files/f1:download"
    assert dict(api.last.url.params) == {"alt": "media"}


async def test_tuned_model_stream(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=b'data: {"responseId": "r"}\n\n',
        )
    )
    chunks = await resolve(client.tuned_models.stream_generate_content("t1", contents="hi"))
    assert [c.response_id for c in chunks] == ["r"]
    assert api.last.url.path == "/v1beta/tunedModels/t1:streamGenerateContent"
