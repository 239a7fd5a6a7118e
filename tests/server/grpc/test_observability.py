"""A gRPC call is counted once in /metrics, as transport="grpc" with its method and status,
and written once to the access log, though it runs through the REST app in-process."""

from __future__ import annotations

import time
import uuid
import warnings

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import ALICE_KEY, GrpcServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import grpc
    from google.ai import generativelanguage_v1 as glm_v1
    from google.ai import generativelanguage_v1beta as glm
    from google.api_core import exceptions

pytestmark = pytest.mark.slow

_SERVICE = "google.ai.generativelanguage.v1beta.RetrieverService"


def _scrape(server: GrpcServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _requests(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str) -> float:
    return samples.get(("ragkit_requests_total", frozenset(labels.items())), 0.0)


def test_grpc_calls_are_counted_once_with_their_transport(grpc_server: GrpcServer) -> None:
    client = glm.RetrieverServiceClient(
        client_options={"api_endpoint": grpc_server.target, "api_key": ALICE_KEY}
    )
    request_id = f"grpc-{uuid.uuid4().hex[:8]}"
    before = _scrape(grpc_server)
    list(client.list_corpora(metadata=[("x-request-id", request_id)]))
    list(client.list_corpora())
    with pytest.raises((exceptions.NotFound, exceptions.PermissionDenied)) as caught:
        client.get_corpus(name="corpora/never-created-here")
    after = _scrape(grpc_server)

    def delta(**labels: str) -> float:
        return _requests(after, **labels) - _requests(before, **labels)

    listed = f"{_SERVICE}/ListCorpora"
    assert delta(transport="grpc", method=listed, code="OK") == 2
    status = grpc.StatusCode[caught.value.grpc_status_code.name].name  # type: ignore[union-attr]
    assert delta(transport="grpc", method=f"{_SERVICE}/GetCorpus", code=status) == 1
    # Not counted a second time as the REST requests they were transcoded to.
    assert delta(transport="http", method="GET /v1beta/corpora", code="200") == 0
    histogram = ("ragkit_request_duration_seconds_count",
                 frozenset({"transport": "grpc", "method": listed}.items()))  # fmt: skip
    assert after[histogram] - before.get(histogram, 0.0) == 2
    assert "never-created-here" not in httpx.get(f"{grpc_server.url}/metrics").text

    # A streamed call too: once, when its stream ends, and the v1 front names v1.
    generative = glm.GenerativeServiceClient(
        client_options={"api_endpoint": grpc_server.target, "api_key": ALICE_KEY}
    )
    content = [glm.Content(role="user", parts=[glm.Part(text="Say hello.")])]
    assert list(generative.stream_generate_content(model="models/gemini-2.0-flash",
                                                   contents=content))  # fmt: skip
    with pytest.raises(exceptions.NotFound) as missing:
        list(generative.stream_generate_content(model="models/no-such", contents=content))
    assert "API version v1beta," in str(missing.value)
    models_v1 = glm_v1.ModelServiceClient(
        client_options={"api_endpoint": grpc_server.target, "api_key": ALICE_KEY}
    )
    with pytest.raises(exceptions.NotFound, match=r"not found for API version v1\."):
        models_v1.get_model(name="models/no-such")
    streamed = _scrape(grpc_server)
    stream = "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent"
    for code in ("OK", "NOT_FOUND"):
        labels = {"transport": "grpc", "method": stream, "code": code}
        assert _requests(streamed, **labels) - _requests(after, **labels) == 1

    # The access log has one line per call, with the gRPC method, status and latency.
    deadline = time.monotonic() + 5
    while request_id not in grpc_server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line for line in grpc_server.log_text().splitlines() if request_id in line]
    assert len(lines) == 1
    (line,) = lines
    assert f"ragkit.access: POST /{listed} 200 " in line
    assert "transport=grpc grpc_status=OK client=127.0.0.1" in line
    assert "ms " in line
