"""One retry policy: which calls, which failures, how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import ragkit
from ragkit._retry import RetryPolicy, is_idempotent, retry_after_seconds, retry_delay
from tests.client.conftest import FakeAPI, Sleeps, make_client, resolve


def ok_corpus() -> httpx.Response:
    return httpx.Response(200, json={"name": "corpora/c1"})


def unavailable(**headers: str) -> httpx.Response:
    body = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}
    return httpx.Response(503, json=body, headers=headers)


@pytest.mark.parametrize("status", [429, 500, 503, 504])
async def test_retryable_status_then_success(
    client: Any, api: FakeAPI, sleeps: Sleeps, status: int
) -> None:
    api.reply(httpx.Response(status, json={}), ok_corpus())
    corpus = await resolve(client.corpora.get("c1"))
    assert corpus.name == "corpora/c1"
    assert len(api.requests) == 2 and len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 0.5


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
async def test_other_statuses_are_not_retried(
    client: Any, api: FakeAPI, sleeps: Sleeps, status: int
) -> None:
    api.handler = lambda request: httpx.Response(status, json={})
    with pytest.raises(ragkit.APIError):
        await resolve(client.corpora.get("c1"))
    assert len(api.requests) == 1 and sleeps == []


async def test_gives_up_after_max_retries(client: Any, api: FakeAPI, sleeps: Sleeps) -> None:
    api.handler = lambda request: unavailable()
    with pytest.raises(ragkit.ServerError):
        await resolve(client.corpora.get("c1"))
    assert len(api.requests) == 3 and len(sleeps) == 2


async def test_max_retries_is_configurable(mode: str, api: FakeAPI, sleeps: Sleeps) -> None:
    client = make_client(mode, api, sleeps, max_retries=4)
    api.handler = lambda request: unavailable()
    with pytest.raises(ragkit.ServerError):
        await resolve(client.corpora.get("c1"))
    assert len(api.requests) == 5
    none = make_client(mode, api, sleeps, max_retries=0)
    with pytest.raises(ragkit.ServerError):
        await resolve(none.corpora.get("c1"))
    assert len(api.requests) == 6


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "600"}, 60.0),
    ],
)
async def test_retry_after_is_honoured(
    client: Any, api: FakeAPI, sleeps: Sleeps, headers: dict[str, str], expected: float
) -> None:
    api.reply(unavailable(**headers), ok_corpus())
    await resolve(client.corpora.get("c1"))
    # Honoured, plus up to a quarter more at random so rejected clients spread out.
    assert len(sleeps) == 1 and expected <= sleeps[0] <= expected * 1.25


def test_retry_after_jitter_is_bounded() -> None:
    headers = {"Retry-After": "4"}
    assert retry_delay(RetryPolicy(random=lambda: 0.0), 0, headers) == 4.0
    assert retry_delay(RetryPolicy(random=lambda: 1.0), 0, headers) == 5.0
    assert retry_delay(RetryPolicy(random=lambda: 1.0, retry_after_jitter=0.0), 0, headers) == 4.0


async def test_connection_errors_are_retried(client: Any, api: FakeAPI, sleeps: Sleeps) -> None:
    api.reply(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok_corpus())
    assert (await resolve(client.corpora.get("c1"))).name == "corpora/c1"
    assert len(api.requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.corpora.create(display_name="x"),
        lambda c: c.corpora.documents.chunks.batch_create("corpora/c/documents/d", ["a"]),
        lambda c: c.models.batch_generate_content("m", batch={"display_name": "j"}),
        lambda c: c.files.upload(b"abc", mime_type="text/plain"),
    ],
    ids=["corpora.create", "chunks.batch_create", "batch_generate_content", "files.upload"],
)
async def test_creates_are_not_retried(
    client: Any, api: FakeAPI, sleeps: Sleeps, call: Any
) -> None:
    api.handler = lambda request: unavailable()
    with pytest.raises(ragkit.ServerError):
        await resolve(call(client))
    assert len(api.requests) == 1 and sleeps == []


async def test_batch_create_opts_in_with_named_chunks(
    client: Any, api: FakeAPI, sleeps: Sleeps
) -> None:
    api.reply(unavailable(), httpx.Response(200, json={"chunks": []}))
    document = "corpora/c/documents/d"
    chunks = [{"name": "k1", "data": {"string_value": "a"}}]
    await resolve(client.corpora.documents.chunks.batch_create(document, chunks, retry=True))
    assert len(api.requests) == 2 and len(sleeps) == 1
    with pytest.raises(ValueError, match="explicit name"):
        await resolve(client.corpora.documents.chunks.batch_create(document, ["a"], retry=True))
    assert len(api.requests) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.corpora.query("c1", "q"),
        lambda c: c.models.count_tokens("m", contents="x"),
        lambda c: c.models.embed_content("m", content="x"),
        lambda c: c.models.batch_embed_contents("m", requests=["x"]),
        lambda c: c.models.generate_answer(
            "aqa", contents="q", answer_style="ABSTRACTIVE", inline_passages=["p"]
        ),
        lambda c: c.models.generate_content("m", contents="x"),
        lambda c: c.corpora.delete("c1"),
        lambda c: c.corpora.update("c1", display_name="x"),
    ],
    ids=[
        "query",
        "countTokens",
        "embedContent",
        "batchEmbed",
        "generateAnswer",
        "generateContent",
        "DELETE",
        "PATCH",
    ],
)
async def test_idempotent_calls_are_retried(
    client: Any, api: FakeAPI, sleeps: Sleeps, call: Any
) -> None:
    api.reply(unavailable())
    await resolve(call(client))
    assert len(api.requests) == 2 and len(sleeps) == 1


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    top = RetryPolicy(random=lambda: 0.999999)
    assert [round(retry_delay(top, n), 3) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert retry_delay(RetryPolicy(random=lambda: 0.0), 5) == 0.0
    assert 0.0 <= retry_delay(RetryPolicy(), 2) <= 2.0


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds({"Retry-After": later}, now=now.timestamp) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert retry_after_seconds({}) is None
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    capped = RetryPolicy(max_retry_after=10.0, random=lambda: 0.0)
    assert retry_delay(capped, 0, {"Retry-After": in_an_hour}) == 10.0


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "v1beta/corpora", True),
        ("PATCH", "v1beta/corpora/c", True),
        ("DELETE", "v1beta/corpora/c", True),
        ("POST", "v1beta/corpora", False),
        ("POST", "v1beta/corpora/c:query", True),
        ("POST", "v1beta/models/gemini-1.5-flash:streamGenerateContent", True),
        ("POST", "v1beta/models/m:batchGenerateContent", False),
        ("POST", "v1beta/corpora/c/documents/d/chunks:batchCreate", False),
    ],
)
def test_idempotency_table(method: str, path: str, expected: bool) -> None:
    assert is_idempotent(method, path) is expected


def paced(status: int = 429, seconds: str = "2") -> httpx.Response:
    body = {"error": {"code": status, "status": "RESOURCE_EXHAUSTED", "message": "busy"}}
    return httpx.Response(status, json=body, headers={"Retry-After": seconds})


async def test_paced_429s_do_not_use_up_the_retry_budget(
    client: Any, api: FakeAPI, sleeps: Sleeps
) -> None:
    # Ten "come back in 2 s" answers, then success: max_retries (2) is not what limits it.
    api.reply(*[paced() for _ in range(10)], ok_corpus())
    corpus = await resolve(client.corpora.get("c1"))
    assert corpus.name == "corpora/c1"
    assert len(sleeps) == 10 and all(2.0 <= s <= 2.5 for s in sleeps)


async def test_paced_waiting_is_bounded_in_time(mode: str, api: FakeAPI, sleeps: Sleeps) -> None:
    client = make_client(mode, api, sleeps)
    client.retry_policy = RetryPolicy(max_overload_wait=10.0, random=lambda: 0.0)
    api.handler = lambda request: paced(503, "4")
    with pytest.raises(ragkit.APIError):
        await resolve(client.corpora.get("c1"))
    # 4 + 4 s of paced waiting, then the two ordinary retries (also honouring Retry-After).
    assert sleeps == [4.0, 4.0, 4.0, 4.0]


async def test_paced_answers_are_not_retried_for_unsafe_calls(
    client: Any, api: FakeAPI, sleeps: Sleeps
) -> None:
    api.handler = lambda request: paced()
    with pytest.raises(ragkit.RateLimitError):
        await resolve(client.corpora.create(display_name="x"))
    assert len(api.requests) == 1 and sleeps == []
