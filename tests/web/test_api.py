"""The web app's page, assets and ragkit-specific endpoints, in-process over the real service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service.quotas import Quotas
from ragkit.server.web import api as web_api

from ..server.http.conftest import running
from ..server.media.support import build_pdf

AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]

[[principal]]
email = "bob@example.com"
api_keys = ["bob-key"]
"""
ALICE = {"x-goog-api-key": "alice-key"}
BOB = {"x-goog-api-key": "bob-key"}
GUIDE = b"# Guide\n\n## Install\n\nRun pip install ragkit.\n\n## Serve\n\nIt listens on 8080.\n"

StartApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def start_app(tmp_path: Path) -> StartApp:
    """Start an app on ``tmp_path`` with two principals (and optional quotas)."""
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH, encoding="utf-8")

    def start(quotas: Quotas | None = None) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        config = ServerConfig(
            data_dir=tmp_path / "data", auth_file=auth, embedder="hash", quotas=quotas or Quotas()
        )
        return running(create_app(config))

    return start


@pytest.fixture
async def http(start_app: StartApp) -> AsyncIterator[httpx.AsyncClient]:
    async with start_app() as client:
        created = await client.post(
            "/v1beta/corpora", json={"name": "corpora/docs", "displayName": "Docs"}, headers=ALICE
        )
        assert created.status_code == 200, created.text
        yield client


async def upload(
    http: httpx.AsyncClient, name: str, data: bytes, headers: dict[str, str] = ALICE
) -> httpx.Response:
    return await http.post(
        "/ragkit/api/corpora/docs/files", params={"filename": name}, content=data, headers=headers
    )


async def stats(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/ragkit/api/corpora/docs/stats", headers=ALICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def metadata(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        m["key"]: m.get("stringValue", m.get("numericValue"))
        for m in resource.get("customMetadata", [])
    }


async def test_the_page_and_its_assets_come_from_the_package(http: httpx.AsyncClient) -> None:
    page = await http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/web/app.js">' in page.text
    script = await http.get("/web/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    for bad in ("/web/missing.js", "/web/..%2Fapi.py", "/web/__init__.py", "/web/.hidden.js"):
        response = await http.get(bad)
        assert response.status_code == 404, bad
        assert response.json()["error"]["status"] == "NOT_FOUND"


def test_assets_ship_in_the_package_and_name_no_other_host() -> None:
    static = resources.files("ragkit.server.web").joinpath("static")
    names = {entry.name for entry in static.iterdir() if entry.is_file()}
    assert {"index.html", "app.js", "api.js", "dom.js", "app.css", "icon.svg"} <= names
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    for name in names:
        assert f'"server/web/static/*{Path(name).suffix}"' in pyproject, name
        text = static.joinpath(name).read_text(encoding="utf-8")
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+", text), name


async def test_info_needs_no_key_and_me_names_the_caller(http: httpx.AsyncClient) -> None:
    info = (await http.get("/ragkit/api/info")).json()
    assert info["authRequired"] is True
    assert info["embedder"] == "hash" and ".pdf" in info["extensions"]
    assert (await http.get("/ragkit/api/me", headers=ALICE)).json()["email"] == "alice@example.com"
    refused = await http.get("/ragkit/api/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["status"] == "UNAUTHENTICATED"


async def test_an_upload_is_ingested_with_provenance(http: httpx.AsyncClient) -> None:
    response = await upload(http, "guide.md", GUIDE)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "created" and body["chunkCount"] >= 1
    document = body["document"]
    assert document["displayName"] == "Guide"
    assert metadata(document)["source"] == "guide.md"
    assert "content_hash" in metadata(document)
    chunks = (await http.get(f"/v1beta/{document['name']}/chunks", headers=ALICE)).json()
    assert len(chunks["chunks"]) == body["chunkCount"]
    assert metadata(chunks["chunks"][0])["section"].startswith("Guide")
    assert await stats(http) == {
        "name": "corpora/docs",
        "documentCount": 1,
        "chunkCount": body["chunkCount"],
        "role": "OWNER",
    }


async def test_the_same_bytes_again_change_nothing_and_new_bytes_replace(
    http: httpx.AsyncClient,
) -> None:
    first = (await upload(http, "guide.md", GUIDE)).json()
    again = (await upload(http, "guide.md", GUIDE)).json()
    assert again["status"] == "unchanged"
    assert again["document"]["updateTime"] == first["document"]["updateTime"]
    assert again["chunkCount"] == first["chunkCount"]

    changed = (await upload(http, "guide.md", GUIDE + b"\n## Stop\n\nPress Ctrl-C.\n")).json()
    assert changed["status"] == "replaced"
    assert changed["document"]["name"] == first["document"]["name"]
    assert (await stats(http))["documentCount"] == 1


async def test_a_pdf_keeps_its_pages(http: httpx.AsyncClient) -> None:
    pdf = build_pdf(["Seed packets", "Sow carrots in April."])
    body = (await upload(http, "seeds.pdf", pdf)).json()
    chunks = (await http.get(f"/v1beta/{body['document']['name']}/chunks", headers=ALICE)).json()
    first = metadata(chunks["chunks"][0])
    assert first["source"] == "seeds.pdf" and first["page_start"] == 1.0


async def test_a_path_in_the_filename_is_reduced_to_its_name(http: httpx.AsyncClient) -> None:
    body = (await upload(http, "../../etc/notes.txt", b"Plain notes about nothing much.")).json()
    assert metadata(body["document"])["source"] == "notes.txt"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("budget.docx", b"PK\x03\x04", "Cannot ingest budget.docx: unsupported file type .docx."),
        ("empty.txt", b"", "Cannot ingest empty.txt: "),
        ("broken.pdf", b"%PDF-1.4 garbage", "Cannot ingest broken.pdf: "),
        ("", GUIDE, "The filename query parameter is required"),
        ("..", GUIDE, "filename must name a file"),
    ],
)
async def test_a_file_that_cannot_be_ingested_is_refused_with_its_reason(
    http: httpx.AsyncClient, name: str, data: bytes, reason: str
) -> None:
    response = await upload(http, name, data)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert response.json()["error"]["message"].startswith(reason)
    assert (await stats(http))["documentCount"] == 0


async def test_an_oversized_upload_is_refused(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_api, "MAX_UPLOAD_BYTES", 10)
    response = await upload(http, "guide.md", GUIDE)
    assert response.status_code == 400
    assert "File too large" in response.json()["error"]["message"]
    assert (await stats(http))["documentCount"] == 0


async def test_roles_apply_to_uploads_and_stats(http: httpx.AsyncClient) -> None:
    refused = await upload(http, "guide.md", GUIDE, headers=BOB)
    assert refused.status_code == 403
    assert (await http.get("/ragkit/api/corpora/docs/stats", headers=BOB)).status_code == 403

    grant = {"granteeType": "USER", "emailAddress": "bob@example.com", "role": "READER"}
    assert (
        await http.post("/v1beta/corpora/docs/permissions", json=grant, headers=ALICE)
    ).status_code == 200
    seen = (await http.get("/ragkit/api/corpora/docs/stats", headers=BOB)).json()
    assert seen["role"] == "READER"
    assert (await upload(http, "guide.md", GUIDE)).json()["status"] == "created"
    # Even the very same bytes: a reader is refused, not told "unchanged".
    still_refused = await upload(http, "guide.md", GUIDE, headers=BOB)
    assert still_refused.status_code == 403
    assert "needs the WRITER role" in still_refused.json()["error"]["message"]


async def test_a_quota_stops_an_upload_without_leaving_half_a_document(
    start_app: StartApp,
) -> None:
    long_text = "\n\n".join(
        f"## Part {i}\n\n" + " ".join(f"word{i}x{j}" for j in range(300)) for i in range(8)
    )
    async with start_app(Quotas(max_chunks_per_corpus=2)) as http:
        await http.post("/v1beta/corpora", json={"name": "corpora/docs"}, headers=ALICE)
        response = await upload(http, "long.md", long_text.encode())
        assert response.status_code == 429, response.text
        assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert await stats(http) == {
            "name": "corpora/docs",
            "documentCount": 0,
            "chunkCount": 0,
            "role": "OWNER",
        }


def test_ragkit_ingest_sees_an_uploaded_file_as_current(tmp_path: Path) -> None:
    """The seam and `ragkit ingest` build the same document: syncing the file changes nothing."""
    from ragkit import Client
    from ragkit.ingest import ingest
    from ragkit.server.embedded import EmbeddedServer

    source = tmp_path / "docs"
    source.mkdir()
    (source / "guide.md").write_bytes(GUIDE)
    with EmbeddedServer(tmp_path / "data", embedder="hash") as server:
        with httpx.Client(base_url=server.base_url) as http:
            http.post("/v1beta/corpora", json={"name": "corpora/docs"}).raise_for_status()
            uploaded = http.post(
                "/ragkit/api/corpora/docs/files", params={"filename": "guide.md"}, content=GUIDE
            )
            assert uploaded.json()["status"] == "created"
        with Client(base_url=server.base_url) as client:
            report = ingest(source, client=client, corpus="corpora/docs")
    assert report.documents_unchanged == 1, report.summary()
    assert report.chunks_created == 0
