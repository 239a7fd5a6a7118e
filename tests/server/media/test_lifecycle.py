"""Files over time and across principals: expiry, purge, ownership, restart, recovery."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ragkit.server.errors import ApiError
from ragkit.server.media import FileService
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.types import Code

from .support import FakeClock, Served, serve

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]

[[principal]]
email = "bob@example.com"
api_keys = ["bob-key"]
"""


async def _upload(served: Served, data: bytes, **headers: str) -> dict[str, str]:
    response = await served.http.post(
        "/upload/v1beta/files",
        headers={"X-Goog-Upload-Protocol": "raw", "Content-Type": "text/plain", **headers},
        content=data,
    )
    assert response.status_code == 200, response.text
    file: dict[str, str] = response.json()["file"]
    return file


async def test_files_expire_after_48_hours_and_are_purged(served: Served, clock: FakeClock) -> None:
    file = await _upload(served, b"short-lived")
    blob = served.files._blobs.root / f"{file['name'].removeprefix('files/')}.bin"
    assert blob.exists()
    clock.advance(hours=47, minutes=59)
    assert (await served.http.get(f"/v1beta/{file['name']}")).status_code == 200
    clock.advance(minutes=1)
    assert (await served.http.get(f"/v1beta/{file['name']}")).status_code == 403
    assert (await served.http.get("/v1beta/files")).json() == {}
    with pytest.raises(ApiError) as caught:
        served.files.file_text(LOCAL_USER, file["name"])
    assert caught.value.code is Code.NOT_FOUND
    assert served.files.purge_expired() == [file["name"].removeprefix("files/")]
    assert not blob.exists()


async def test_files_belong_to_their_uploader(tmp_path: Path, database_url: str | None) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH, encoding="utf-8")
    async with serve(tmp_path / "data", auth_file=auth, database_url=database_url) as served:
        alice = {"x-goog-api-key": "alice-key"}
        bob = {"x-goog-api-key": "bob-key"}
        file = await _upload(served, b"alice's", **alice)
        name = file["name"]
        assert (await served.http.get(f"/v1beta/{name}", headers=alice)).status_code == 200
        for request in (
            served.http.get(f"/v1beta/{name}", headers=bob),
            served.http.get(f"/v1beta/{name}:download?alt=media", headers=bob),
            served.http.delete(f"/v1beta/{name}", headers=bob),
        ):
            response = await request
            assert response.status_code == 403
            assert "or it may not exist" in response.json()["error"]["message"]
        assert (await served.http.get("/v1beta/files", headers=bob)).json() == {}
        with pytest.raises(ApiError):
            served.files.file_text(Principal("bob@example.com"), name)
        unauthenticated = await served.http.get(f"/v1beta/{name}")
        assert unauthenticated.status_code in (401, 403)


async def test_files_and_sessions_survive_a_restart(
    tmp_path: Path, database_url: str | None
) -> None:
    data_dir = tmp_path / "data"
    async with serve(data_dir, database_url=database_url) as served:
        file = await _upload(served, b"durable")
        start = await served.http.post(
            "/upload/v1beta/files",
            headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"},
        )
        url = start.headers["x-goog-upload-url"]
        await served.http.post(
            url,
            headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"},
            content=b"ab",
        )
    async with serve(data_dir, database_url=database_url) as served:
        assert (await served.http.get(f"/v1beta/{file['name']}:download?alt=media")).content == (
            b"durable"
        )
        final = await served.http.post(
            url,
            headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "2"},
            content=b"cd",
        )
        assert final.json()["file"]["sizeBytes"] == "4"


def test_orphans_of_a_crash_are_removed_and_pdfs_requeued(tmp_path: Path) -> None:
    clock = FakeClock()
    files = FileService.open(tmp_path, clock=clock)
    files.close()
    orphan = tmp_path / "files" / "never-committed.bin"
    orphan.write_bytes(b"half")
    stray = tmp_path / "files" / "uploads" / "gone.part"
    stray.write_bytes(b"x")
    staged = tmp_path / "files" / ".0123abcd.staged"  # a one-shot upload cut off by the crash
    staged.write_bytes(b"partial")
    files = FileService.open(tmp_path, clock=clock)
    try:
        assert not orphan.exists() and not stray.exists() and not staged.exists()
    finally:
        files.close()


async def test_large_text_files_are_read_by_the_worker(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ragkit.server.media.core.INLINE_TEXT_BYTES", 4)
    file = await _upload(served, b"longer than four bytes")
    assert file["state"] in ("PROCESSING", "ACTIVE")
    for _ in range(200):
        if (await served.http.get(f"/v1beta/{file['name']}")).json()["state"] == "ACTIVE":
            break
        await asyncio.sleep(0.02)
    assert served.files.file_text(LOCAL_USER, file["name"]) == (
        "text/plain",
        "longer than four bytes",
    )
