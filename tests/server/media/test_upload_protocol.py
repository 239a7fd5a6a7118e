"""The media upload protocols over raw HTTP: resumable, multipart, raw, and their errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .support import Served, serve

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

UPLOAD = "/upload/v1beta/files"


async def _start(http: httpx.AsyncClient, size: int, **metadata: str) -> str:
    response = await http.post(
        UPLOAD,
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": "text/plain",
        },
        json={"file": metadata},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-goog-upload-status"] == "active"
    url = response.headers["x-goog-upload-url"]
    assert url.startswith("http://ragkit/upload/v1beta/files?upload_id=")
    return url


async def _send(
    http: httpx.AsyncClient, url: str, command: str, data: bytes = b"", offset: int | None = 0
) -> httpx.Response:
    headers = {"X-Goog-Upload-Command": command}
    if offset is not None:
        headers["X-Goog-Upload-Offset"] = str(offset)
    return await http.post(url, headers=headers, content=data)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == status
    return str(body["message"])


async def test_resumable_upload_query_and_offset_mismatch(served: Served) -> None:
    http = served.http
    url = await _start(http, 10, displayName="Ten bytes")
    first = await _send(http, url, "upload", b"01234")
    assert first.status_code == 200 and first.headers["x-goog-upload-status"] == "active"
    assert first.headers["x-goog-upload-size-received"] == "5"
    assert "offset" in _error(await _send(http, url, "upload", b"xx", offset=3), 400).lower()
    query = await _send(http, url, "query", offset=None)
    assert query.headers["x-goog-upload-size-received"] == "5"
    assert query.headers["x-goog-upload-status"] == "active"
    final = await _send(http, url, "upload, finalize", b"56789", offset=5)
    assert final.headers["x-goog-upload-status"] == "final"
    file = final.json()["file"]
    assert (file["displayName"], file["sizeBytes"], file["state"]) == ("Ten bytes", "10", "ACTIVE")
    # A retried finalize (its answer lost) returns the same file; anything else is refused.
    again = await _send(http, url, "upload, finalize", b"56789", offset=5)
    assert again.json()["file"] == file
    assert "finalized" in _error(await _send(http, url, "upload", b"x", offset=10), 400)
    done = await _send(http, url, "query", offset=None)
    assert done.headers["x-goog-upload-status"] == "final"
    download = await http.get(f"/v1beta/{file['name']}:download", params={"alt": "media"})
    assert download.content == b"0123456789"
    assert download.headers["content-type"].startswith("text/plain")


async def test_resumable_errors(served: Served) -> None:
    http = served.http
    no_command = await http.post(UPLOAD, headers={"X-Goog-Upload-Protocol": "resumable"})
    assert "X-Goog-Upload-Command: start" in _error(no_command, 400)
    url = await _start(http, 4)
    assert "X-Goog-Upload-Command" in _error(await http.post(url, content=b"ab"), 400)
    assert "Offset is required" in _error(await _send(http, url, "upload", b"ab", None), 400)
    assert "declared size" in _error(await _send(http, url, "upload", b"abcdef"), 400)
    short = await _send(http, url, "upload, finalize", b"ab")
    assert "declared 4" in _error(short, 400)
    # The rejected finalize stored nothing: the session still expects offset 0... but the
    # bytes of a rejected request are not kept either.
    query = await _send(http, url, "query", offset=None)
    assert query.headers["x-goog-upload-size-received"] == "0"
    cancel = await _send(http, url, "cancel", offset=None)
    assert cancel.status_code == 200
    assert "not found" in _error(await _send(http, url, "query", offset=None), 404)
    bogus = f"{UPLOAD}?upload_id=nope&upload_protocol=resumable"
    assert "not found" in _error(await _send(http, bogus, "query", offset=None), 404)
    unknown = await http.post(UPLOAD, headers={"X-Goog-Upload-Protocol": "carrier-pigeon"})
    assert "upload protocol" in _error(unknown, 400)
    typo = await http.post(UPLOAD, params={"uploadid": "x"}, content=b"")
    assert 'Unknown name "uploadid"' in _error(typo, 400)


async def test_multipart_and_raw_uploads(served: Served) -> None:
    http = served.http
    body = (
        b"--XyZ\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
        b'{"file": {"displayName": "Notes", "name": "files/notes-1"}}\r\n'
        b"--XyZ\r\nContent-Type: text/markdown\r\n\r\n# Title\r\n\r\nbody\r\n--XyZ--\r\n"
    )
    response = await http.post(
        UPLOAD,
        params={"uploadType": "multipart"},
        headers={"Content-Type": "multipart/related; boundary=XyZ"},
        content=body,
    )
    assert response.status_code == 200, response.text
    file = response.json()["file"]
    assert (file["name"], file["displayName"], file["mimeType"]) == (
        "files/notes-1",
        "Notes",
        "text/markdown",
    )
    download = await http.get("/download/v1beta/files/notes-1:download", params={"alt": "media"})
    assert download.content == b"# Title\r\n\r\nbody"
    taken = await http.post(
        UPLOAD, headers={"Content-Type": "multipart/related; boundary=XyZ"}, content=body
    )
    assert "already exists" in _error(taken, 409)
    one_part = b"--b\r\nContent-Type: text/plain\r\n\r\nonly media\r\n--b--\r\n"
    bad = await http.post(
        UPLOAD,
        headers={
            "X-Goog-Upload-Protocol": "multipart",
            "Content-Type": "multipart/related; boundary=b",
        },
        content=one_part,
    )
    assert "two parts" in _error(bad, 400)
    raw = await http.post(
        UPLOAD, params={"uploadType": "media"}, headers={"Content-Type": "text/csv"}, content=b"a,b"
    )
    assert raw.json()["file"]["mimeType"] == "text/csv"
    assert raw.json()["file"]["sizeBytes"] == "3"


async def test_metadata_only_create_download_forms_and_bad_names(served: Served) -> None:
    http = served.http
    created = await http.post(
        "/v1beta/files", json={"file": {"name": "files/empty", "mimeType": "text/plain"}}
    )
    assert created.json()["file"]["sizeBytes"] == "0"
    assert (await http.get("/v1beta/files/empty:download")).json() == {}
    assert (await http.get("/v1beta/files/empty:download?alt=media")).content == b""
    bad_name = await http.post("/v1beta/files", json={"file": {"name": "files/Bad_Name"}})
    assert "invalid" in _error(bad_name, 400)
    bad_type = await http.post("/v1beta/files", json={"file": {"mimeType": "nonsense"}})
    assert "MIME" in _error(bad_type, 400)
    unknown = await http.post("/v1beta/files", json={"file": {"colour": "red"}})
    assert 'Unknown name "colour"' in _error(unknown, 400)
    # As Google: an ID over 40 characters is a bad request, a missing file is 403.
    assert "at most 40" in _error(await http.delete(f"/v1beta/files/{'x' * 41}"), 400)
    assert "may not exist" in _error(await http.delete(f"/v1beta/files/{'x' * 40}"), 403)


async def test_size_limit_rejects_before_storing(tmp_path: Path, database_url: str | None) -> None:
    async with serve(tmp_path / "data", max_file_bytes=8, database_url=database_url) as served:
        http = served.http
        start = await http.post(
            UPLOAD,
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": "9",
            },
        )
        assert "too large" in _error(start, 400)
        raw = await http.post(
            UPLOAD, headers={"X-Goog-Upload-Protocol": "raw"}, content=b"0123456789"
        )
        assert "too large" in _error(raw, 400)
        url = await _start(http, 0)  # declared 0 but sends more: caught by the declared size
        assert _error(await _send(http, url, "upload", b"123456789"), 400)
        assert (await http.get("/v1beta/files")).json() == {}
    assert sorted(p.name for p in (tmp_path / "data" / "files").glob("*.bin")) == []
