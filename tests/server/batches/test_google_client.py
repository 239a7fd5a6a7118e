"""Google's own client library against ragkit's batches, over a real socket.

What google-ai-generativelanguage (0.12.1) offers for batches: every service client carries
the ``google.longrunning`` mixin, whose REST routes are ``GET batches/*``, ``GET batches``,
``POST batches/*:cancel`` and ``DELETE batches/*``. It has no ``batchGenerateContent`` or
``asyncBatchEmbedContent`` method, so jobs are created here with ragkit's client.

It also ships no ``GenerateContentBatch`` / ``EmbedContentBatch`` messages, and its transport
parses every Operation strictly with protobuf's ``json_format``, which must resolve the
``@type`` of ``metadata`` and ``response``: ``get_operation``/``list_operations`` on any batch
raise ``ParseError`` as shipped (so they would against Google's service, which sends the same
``@type``). This module registers those messages, as Google's API reference documents them,
so that the library's own parsing checks ragkit's operations field by field: names, int64 as
strings, RFC 3339 times, enum names, oneofs (a response or an error, never both). When the
library ships the messages itself, its definitions are used instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import google.ai.generativelanguage_v1beta as glm
import httpx
import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.longrunning import operations_pb2
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
)
from google.protobuf.message import Message
from google.rpc import status_pb2

import ragkit
from ragkit.server.embedded import EmbeddedServer

PACKAGE = "google.ai.generativelanguage.v1beta"
STATES = ["UNSPECIFIED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"]
COUNTS = ["request_count", "successful_request_count", "failed_request_count",
          "pending_request_count"]  # fmt: skip
TIMES = ["create_time", "end_time", "update_time"]

# message -> [(field, type, oneof)]; a type starting with "*" is repeated, "." is a full name.
_Spec = list[tuple[str, str, str | None]]
_GENERATE: dict[str, _Spec] = {
    "InlinedRequest": [("request", ".GenerateContentRequest", None), ("metadata", ".Struct", None)],
    "InlinedRequests": [("requests", "*InlinedRequest", None)],
    "InputConfig": [("file_name", "string", "source"), ("requests", "InlinedRequests", "source")],
    "InlinedResponse": [
        ("error", ".Status", "output"), ("response", ".GenerateContentResponse", "output"),
        ("metadata", ".Struct", None),
    ],
    "InlinedResponses": [("inlined_responses", "*InlinedResponse", None)],
    "GenerateContentBatchOutput": [
        ("responses_file", "string", "output"), ("inlined_responses", "InlinedResponses", "output"),
    ],
    "BatchStats": [(name, "int64", None) for name in COUNTS],
}  # fmt: skip
_EMBED: dict[str, _Spec] = {
    "InlinedEmbedContentRequest": [
        ("request", ".EmbedContentRequest", None), ("metadata", ".Struct", None),
    ],
    "InlinedEmbedContentRequests": [("requests", "*InlinedEmbedContentRequest", None)],
    "InputEmbedContentConfig": [
        ("file_name", "string", "source"), ("requests", "InlinedEmbedContentRequests", "source"),
    ],
    "InlinedEmbedContentResponse": [
        ("error", ".Status", "output"), ("response", ".EmbedContentResponse", "output"),
        ("metadata", ".Struct", None),
    ],
    "InlinedEmbedContentResponses": [("inlined_responses", "*InlinedEmbedContentResponse", None)],
    "EmbedContentBatchOutput": [
        ("responses_file", "string", "output"),
        ("inlined_responses", "InlinedEmbedContentResponses", "output"),
    ],
    "EmbedContentBatchStats": [(name, "int64", None) for name in COUNTS],
}  # fmt: skip


def _batch_spec(input_config: str, output: str, stats: str) -> _Spec:
    return [
        ("model", "string", None), ("name", "string", None), ("display_name", "string", None),
        ("input_config", input_config, None), ("output", output, None),
        *[(name, ".Timestamp", None) for name in TIMES],
        ("batch_stats", stats, None), ("state", "BatchState", None), ("priority", "int64", None),
    ]  # fmt: skip


MESSAGES: dict[str, _Spec] = {
    **_GENERATE,
    **_EMBED,
    "GenerateContentBatch": _batch_spec("InputConfig", "GenerateContentBatchOutput", "BatchStats"),
    "EmbedContentBatch": _batch_spec(
        "InputEmbedContentConfig", "EmbedContentBatchOutput", "EmbedContentBatchStats"
    ),
}
_SCALARS = {
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
}
_EXTERNAL = {
    ".Struct": ".google.protobuf.Struct",
    ".Timestamp": ".google.protobuf.Timestamp",
    ".Status": ".google.rpc.Status",
}


def _file_of(message: str) -> str:
    return descriptor_pool.Default().FindMessageTypeByName(f"{PACKAGE}.{message}").file.name


def _add_field(message: descriptor_pb2.DescriptorProto, number: int, spec: Any) -> None:
    name, kind, oneof = spec
    field = message.field.add(name=name, number=number, json_name=_camel(name))
    repeated, kind = kind.startswith("*"), kind.lstrip("*")
    field.label = field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL
    if kind in _SCALARS:
        field.type = _SCALARS[kind]
    else:
        field.type = field.TYPE_ENUM if kind == "BatchState" else field.TYPE_MESSAGE
        field.type_name = _EXTERNAL.get(kind) or f".{PACKAGE}.{kind.lstrip('.')}"
    if oneof is not None:
        names = [decl.name for decl in message.oneof_decl]
        if oneof not in names:
            message.oneof_decl.add(name=oneof)
            names.append(oneof)
        field.oneof_index = names.index(oneof)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _register_batch_messages() -> None:
    """Add the batch messages to protobuf's default pool (where json_format looks up Anys)."""
    pool = descriptor_pool.Default()
    try:
        pool.FindMessageTypeByName(f"{PACKAGE}.GenerateContentBatch")
        return  # the library defines them itself
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(
        name="ragkit/tests/generativelanguage_v1beta_batches.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=sorted(
            {
                _file_of("GenerateContentRequest"),
                _file_of("EmbedContentRequest"),
                struct_pb2.DESCRIPTOR.name,
                timestamp_pb2.DESCRIPTOR.name,
                status_pb2.DESCRIPTOR.name,
            }
        ),
    )
    state = file.enum_type.add(name="BatchState")
    for number, value in enumerate(STATES):
        state.value.add(name=f"BATCH_STATE_{value}", number=number)
    for name, fields in MESSAGES.items():
        message = file.message_type.add(name=name)
        for number, spec in enumerate(fields, start=1):
            _add_field(message, number, spec)
    pool.AddSerializedFile(file.SerializeToString())


def _message(name: str) -> Message:
    descriptor = descriptor_pool.Default().FindMessageTypeByName(f"{PACKAGE}.{name}")
    made: Message = message_factory.GetMessageClass(descriptor)()
    return made


def _unpack(operation: operations_pb2.Operation) -> tuple[Any, Any]:
    """The operation's batch (metadata) and output (response, or None while not done)."""
    kind = operation.metadata.type_url.rsplit(".", 1)[-1]
    batch = _message(kind)
    assert operation.metadata.Unpack(batch)
    if not operation.HasField("response"):
        return batch, None
    output = _message(f"{kind}Output")
    assert operation.response.Unpack(output)
    return batch, output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    _register_batch_messages()
    with EmbeddedServer(tmp_path_factory.mktemp("batches") / "data", embedder="hash") as running:
        yield running


@pytest.fixture(scope="module")
def google(server: EmbeddedServer) -> glm.GenerativeServiceClient:
    return glm.GenerativeServiceClient(
        transport="rest",
        client_options=ClientOptions(api_endpoint=server.base_url),
        credentials=AnonymousCredentials(),
    )


@pytest.fixture
def client(server: EmbeddedServer) -> Iterator[ragkit.Client]:
    with ragkit.Client(base_url=server.base_url, api_key="local", max_retries=0) as made:
        yield made


def _generate_job(client: ragkit.Client, questions: list[str]) -> str:
    requests = [
        {
            "request": {
                "systemInstruction": {"parts": [{"text": "Paris is the capital of France."}]},
                "contents": [{"role": "user", "parts": [{"text": question}]}],
            },
            "metadata": {"key": f"q{number}"},
        }
        for number, question in enumerate(questions)
    ]
    job = client.models.batch_generate_content(
        "gemini-2.0-flash",
        batch={"displayName": "questions", "inputConfig": {"requests": {"requests": requests}}},
    )
    assert job.name
    return job.name


def _finished(google: glm.GenerativeServiceClient, name: str) -> operations_pb2.Operation:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        operation = google.get_operation({"name": name})
        if operation.done:
            return operation
        time.sleep(0.02)
    raise AssertionError(f"{name} did not finish")


def _state(batch: Any) -> str:
    return str(
        batch.DESCRIPTOR.fields_by_name["state"].enum_type.values_by_number[batch.state].name
    )


def test_get_operation_parses_a_finished_generate_job(
    google: glm.GenerativeServiceClient, client: ragkit.Client
) -> None:
    name = _generate_job(client, ["What is the capital of France?", "Where is Paris?"])
    operation = _finished(google, name)
    batch, output = _unpack(operation)

    assert (operation.name, batch.name, batch.model) == (name, name, "models/gemini-2.0-flash")
    assert (batch.display_name, _state(batch)) == ("questions", "BATCH_STATE_SUCCEEDED")
    assert [getattr(batch.batch_stats, count) for count in COUNTS] == [2, 2, 0, 0]
    created, ended, updated = (getattr(batch, t).ToDatetime() for t in TIMES)
    assert created <= ended <= updated
    assert output == batch.output and not operation.HasField("error")
    first, second = output.inlined_responses.inlined_responses
    assert [first.metadata["key"], second.metadata["key"]] == ["q0", "q1"]
    assert "Paris" in first.response.candidates[0].content.parts[0].text
    assert first.response.candidates[0].finish_reason == glm.Candidate.FinishReason.STOP


def test_get_operation_parses_an_embed_job(
    google: glm.GenerativeServiceClient, client: ragkit.Client
) -> None:
    requests = [
        {"request": {"content": {"parts": [{"text": text}]}}, "metadata": {"key": text}}
        for text in ("alpha", "beta", "gamma")
    ]
    job = client.models.async_batch_embed_content(
        "text-embedding-004",
        batch={"displayName": "words", "inputConfig": {"requests": {"requests": requests}}},
    )
    batch, output = _unpack(_finished(google, job.name or ""))

    assert (batch.DESCRIPTOR.name, _state(batch)) == ("EmbedContentBatch", "BATCH_STATE_SUCCEEDED")
    assert [getattr(batch.batch_stats, count) for count in COUNTS] == [3, 3, 0, 0]
    responses = output.inlined_responses.inlined_responses
    assert [r.metadata["key"] for r in responses] == ["alpha", "beta", "gamma"]
    vectors = [list(r.response.embedding.values) for r in responses]
    assert len({len(v) for v in vectors}) == 1 and vectors[0] and vectors[0] != vectors[1]


def test_list_operations_pages_through_every_job(
    google: glm.GenerativeServiceClient, client: ragkit.Client
) -> None:
    names = {_generate_job(client, ["Where is Paris?"]) for _ in range(3)}
    for name in names:
        _finished(google, name)
    listed: list[str] = []
    token = ""
    while True:
        page = google.list_operations({"name": "batches", "page_size": 2, "page_token": token})
        assert len(page.operations) <= 2
        for operation in page.operations:
            _unpack(operation)  # every job parses, whichever module test made it
            listed.append(operation.name)
        token = page.next_page_token
        if not token:
            break
    assert names <= set(listed) and len(listed) == len(set(listed))
    done = google.list_operations({"name": "batches", "filter": "state=BATCH_STATE_SUCCEEDED"})
    assert names <= {operation.name for operation in done.operations}
    assert all(_state(_unpack(o)[0]) == "BATCH_STATE_SUCCEEDED" for o in done.operations)


def test_cancel_and_delete_operation(
    google: glm.GenerativeServiceClient, client: ragkit.Client
) -> None:
    # ~10 ms a request on the local model: far longer than the cancel takes to arrive.
    name = _generate_job(client, ["Where is Paris?"] * 500)
    google.cancel_operation({"name": name})
    operation = _finished(google, name)
    batch, output = _unpack(operation)
    assert _state(batch) == "BATCH_STATE_CANCELLED" and output is None
    assert operation.error.code == 1  # google.rpc.Code.CANCELLED
    assert (
        batch.batch_stats.request_count == 500 and batch.batch_stats.successful_request_count < 500
    )

    google.delete_operation({"name": name})
    for call in (google.get_operation, google.delete_operation, google.cancel_operation):
        with pytest.raises(gexc.NotFound, match=f"{name} not found"):
            call({"name": name})


def test_the_wire_parses_strictly_with_enum_names(
    server: EmbeddedServer, google: glm.GenerativeServiceClient, client: ragkit.Client
) -> None:
    name = _generate_job(client, ["Where is Paris?"])
    _finished(google, name)
    for query in ("", "?$alt=json;enum-encoding=int"):
        body = httpx.get(f"{server.base_url}/v1beta/{name}{query}", timeout=10).text
        operation = json_format.Parse(body, operations_pb2.Operation())  # unknown field: error
        assert _state(_unpack(operation)[0]) == "BATCH_STATE_SUCCEEDED"
    assert '"state":"BATCH_STATE_SUCCEEDED"' in httpx.get(
        f"{server.base_url}/v1beta/{name}", timeout=10
    ).text.replace(" ", "")


def test_the_library_does_not_know_the_batch_messages_itself() -> None:
    # Pinned so that the module docstring stays true: when this fails, the library ships the
    # batch types and _register_batch_messages stands aside.
    assert not hasattr(glm, "GenerateContentBatch") and not hasattr(glm, "EmbedContentBatch")
    assert not hasattr(glm.GenerativeServiceClient, "batch_generate_content")
