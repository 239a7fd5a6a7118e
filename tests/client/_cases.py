"""Shared by the resource tests: one table row per call, and the check every row gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.client.conftest import FakeAPI, method_at, resolve

DOC = "corpora/c1/documents/d1"
CHUNK = f"{DOC}/chunks/k1"
USER_HI = {"parts": [{"text": "hi"}], "role": "user"}
GEN_REPLY = {
    "candidates": [
        {"content": {"parts": [{"text": "hello"}], "role": "model"}, "finishReason": "STOP"}
    ]
}


@dataclass
class Case:
    call: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    reply: Any = field(default_factory=dict)
    returns: Any = None  # a type, a list [type] for pagers/streams, or None

    @property
    def id(self) -> str:
        return f"{self.call}:{self.path.rsplit('/', 1)[-1]}"


def case_ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


async def check_case(case: Case, client: Any, api: FakeAPI) -> None:
    """Call the method, then compare the request sent and the value returned with the row."""
    api.reply(httpx.Response(200, json=case.reply))
    result = await resolve(method_at(client, case.call)(*case.args, **case.kwargs))

    assert len(api.requests) == 1
    request = api.last
    assert request.method == case.method
    assert request.url.host == "generativelanguage.googleapis.com"
    assert request.url.path == case.path
    assert dict(request.url.params) == case.params
    assert request.headers["x-goog-api-key"] == "test-key"
    assert "authorization" not in request.headers
    assert api.body() == case.body
    if case.returns is None:
        assert result is None
    elif isinstance(case.returns, list):
        assert isinstance(result, list) and len(result) == (1 if case.returns else 0)
        assert all(isinstance(item, case.returns[0]) for item in result)
    else:
        assert isinstance(result, case.returns)
        assert result == case.returns.model_validate(case.reply)
