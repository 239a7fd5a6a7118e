"""A real single-user server in-process, seeded with one of everything, and its data folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.store.snapshot import snapshot

C = "corpora/c1"
D = f"{C}/documents/d1"
K = f"{D}/chunks/k1"
P = f"{C}/permissions"


@dataclass
class Seeded:
    http: httpx.AsyncClient
    data_dir: Path
    permission: str

    def state(self) -> object:
        return snapshot(self.data_dir)


async def seed(http: httpx.AsyncClient) -> str:
    """One corpus, document, chunk and reader permission; returns the permission's name."""
    answers = [
        await http.post("/v1beta/corpora", json={"name": C, "displayName": "Seed"}),
        await http.post(
            f"/v1beta/{C}/documents",
            json={"name": D, "customMetadata": [{"key": "n", "numericValue": 1}]},
        ),
        await http.post(
            f"/v1beta/{D}/chunks",
            json={"name": K, "data": {"stringValue": "seed text"}},
        ),
        await http.post(
            f"/v1beta/{P}",
            json={"granteeType": "USER", "emailAddress": "r@example.com", "role": "READER"},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    name: str = answers[-1].json()["name"]
    return name


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    """One server for the package: every test sends only requests that must be rejected,
    and checks the stored state did not move."""
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    app = create_app(ServerConfig(data_dir=data_dir, embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            yield Seeded(http, data_dir, await seed(http))


def assert_google_error(answer: httpx.Response, *statuses: int) -> None:
    """``answer`` is Google's error body with one of ``statuses`` (any 4xx when none)."""
    assert answer.status_code < 500, answer.text
    if statuses:
        assert answer.status_code in statuses, answer.text
    else:
        assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert set(error) >= {"code", "message", "status"}, error
    assert error["code"] == answer.status_code
    assert isinstance(error["message"], str) and error["message"]
