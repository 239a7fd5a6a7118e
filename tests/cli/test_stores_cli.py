"""``ragkit stores``, run in-process via ``main(argv)`` against an embedded server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragkit.cli import main
from ragkit.cli.stores import parse_metadata
from ragkit.server.embedded import EmbeddedServer

MANUAL = "# Reset\n\nTo reset the router, hold the reset button for ten seconds.\n"
NOTES = "Release notes: version 2 adds WiFi 7 support and a faster processor.\n"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedServer(tmp_path_factory.mktemp("stores-cli"), embedder="hash") as server:
        yield server.base_url


@pytest.fixture(autouse=True)
def _no_ambient_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "RAGKIT_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_create_upload_docs_ask_delete(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "manual.md").write_text(MANUAL, encoding="utf-8")
    (folder / "sub" / "notes.txt").write_text(NOTES, encoding="utf-8")
    (folder / ".hidden.md").write_text("skipped", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (tmp_path / "LICENSE").write_bytes(b"MIT")

    code, out, _ = run(capsys, "stores", "create", "--display-name", "Handbook", "--base-url", url)
    store = out.strip()
    assert code == 0 and re.fullmatch(r"fileSearchStores/handbook-[a-z0-9]{12}", store)

    code, out, err = run(
        capsys, "stores", "upload", store, str(folder), str(tmp_path / "photo.png"),
        str(tmp_path / "LICENSE"), "--metadata", "year=2024", "--metadata", "team=ops",
        "--max-tokens-per-chunk", "100", "--base-url", url,
    )  # fmt: skip
    assert code == 1  # two of four files failed, and the command says so
    documents = out.split()
    assert len(documents) == 2 and all(d.startswith(f"{store}/documents/") for d in documents)
    assert "[1/4] manual.md: uploaded" in err and "[2/4] notes.txt: uploaded" in err
    assert re.search(r"\[1/4\] manual\.md: indexed as \S+ \(ACTIVE\)", err)
    assert "[3/4] photo.png: failed: Unsupported MIME type 'image/png'" in err
    assert "[4/4] LICENSE: failed: cannot tell the file's MIME type" in err
    assert "2 of 4 files indexed into" in err and "2 failed:" in err
    assert f"  {tmp_path / 'photo.png'}: Unsupported MIME type" in err

    code, out, _ = run(capsys, "stores", "docs", store, "--base-url", url)
    rows = out.splitlines()
    assert code == 0 and rows[0].split() == [
        "NAME",
        "DISPLAY",
        "NAME",
        "STATE",
        "MIME",
        "TYPE",
        "SIZE",
    ]
    assert any("manual.md" in r and "ACTIVE" in r and "text/markdown" in r for r in rows[1:])
    code, out, _ = run(capsys, "stores", "docs", store, "--json", "--base-url", url)
    listed = json.loads(out)
    assert {d["displayName"] for d in listed} == {"manual.md", "notes.txt"}
    manual = next(d for d in listed if d["displayName"] == "manual.md")
    assert {m["key"] for m in manual["customMetadata"]} == {"year", "team"}

    code, out, _ = run(capsys, "stores", "list", "--base-url", url)
    line = next(r for r in out.splitlines() if r.startswith(store))
    assert line.split()[2:5] == ["2", "0", "0"] and "Handbook" in line

    code, out, _ = run(
        capsys, "stores", "ask", store, "How do I reset the router?", "--base-url", url
    )
    lines = out.splitlines()
    assert code == 0 and "reset button" in lines[0] and "[1]" in lines[0]
    assert lines[2] == f"[1] manual.md ({store})"
    assert lines[3].startswith('    "') and "reset" in lines[3]

    code, out, _ = run(
        capsys, "stores", "ask", store, "How do I reset the router?", "--stream", "--base-url", url
    )
    streamed = out.splitlines()
    assert code == 0 and "reset button" in streamed[0] and "[1]" not in streamed[0]
    assert streamed[1:3] == ["", f"[1] manual.md ({store})"]

    code, out, _ = run(
        capsys, "stores", "ask", store, "What is new?", "--where", 'team = "sales"',
        "--json", "--base-url", url,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["sources"] == []

    code, _, err = run(
        capsys, "stores", "ask", store, "q", "--where", "year >>= 1", "--base-url", url
    )
    first, *carets = err.splitlines()
    assert code == 1 and first.startswith("ragkit stores ask: error: Invalid value at")
    assert first.endswith("(INVALID_ARGUMENT)")
    assert carets == ["  year >>= 1", "        ^^"]

    code, out, err = run(
        capsys, "stores", "upload", store, str(folder / "manual.md"), "--no-wait", "--json",
        "--base-url", url,
    )  # fmt: skip
    (pending,) = json.loads(out)
    assert code == 0 and pending["error"] is None and pending["document"] is None
    assert pending["operation"].startswith(f"{store}/upload/operations/")
    assert f"1 of 1 files uploaded to {store}; the server is indexing them" in err

    code, _, err = run(capsys, "stores", "delete", store, "--base-url", url)
    assert code == 1 and "contains documents" in err and "--force" in err
    code, out, _ = run(capsys, "stores", "delete", documents[0], "--force", "--base-url", url)
    assert (code, out) == (0, f"deleted {documents[0]}\n")
    code, out, _ = run(capsys, "stores", "delete", store, "--force", "--base-url", url)
    assert (code, out) == (0, f"deleted {store}\n")
    code, _, err = run(capsys, "stores", "get", store, "--base-url", url)
    assert code == 1 and err.rstrip().endswith("(PERMISSION_DENIED)")


def test_bad_flags_fail_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unreachable base URL proves nothing was sent: the checks run first.
    unreachable = "http://127.0.0.1:9"
    code, _, err = run(
        capsys, "stores", "upload", "s1", "x.md", "--metadata", "novalue", "--base-url", unreachable
    )
    assert code == 1 and "--metadata 'novalue': expected KEY=VALUE" in err
    code, _, err = run(
        capsys, "stores", "upload", "s1", str(tmp_path), "--max-tokens-per-chunk", "600",
        "--base-url", unreachable,
    )  # fmt: skip
    assert code == 1 and "no files to upload in" in err
    (tmp_path / "a.md").write_text("# A", encoding="utf-8")
    code, _, err = run(
        capsys, "stores", "upload", "s1", str(tmp_path), "--max-tokens-per-chunk", "600",
        "--base-url", unreachable,
    )  # fmt: skip
    assert code == 1 and err.count("\n") == 1
    assert "max_tokens_per_chunk must be between 1 and MAX_WHITE_SPACE_TOKENS_PER_CHUNK=512" in err
    with pytest.raises(SystemExit):
        main(["stores", "ask", "s1", "q", "--top-k", "101"])
    assert "must be between 1 and 100" in capsys.readouterr().err


def test_parse_metadata() -> None:
    assert parse_metadata(["year=2024", "tag=a", "tag=b", "v=1.10", "n= 3", "e="]) == {
        "year": 2024.0,
        "tag": ["a", "b"],
        "v": 1.1,
        "n": " 3",
        "e": "",
    }


def test_embedded_default_keeps_stores_in_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = ("--data-dir", str(tmp_path / "data"), "--embedder", "hash")
    code, out, _ = run(capsys, "stores", "create", "--display-name", "Local", *local)
    store = out.strip()
    assert code == 0 and store.startswith("fileSearchStores/local-")
    code, out, _ = run(capsys, "stores", "list", "--json", *local)  # a second server start
    assert code == 0 and [s["name"] for s in json.loads(out)] == [store]
