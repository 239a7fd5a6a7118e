"""``ragkit ingest`` in-process: --json, the summary, --dry-run, the embedded default, exit
codes (the progress display is tested in tests/cli/test_ingest_progress.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.cli import main
from ragkit.ingest.sync import document_id
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.service.quotas import Quotas

REQUIRED = (
    "documents_added", "documents_updated", "documents_unchanged", "documents_deleted",
    "chunks_created", "chunks_deleted", "failed",
)  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    quotas = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)
    with EmbeddedServer(tmp_path_factory.mktemp("cli"), embedder="hash", quotas=quotas) as running:
        yield running


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nThe first document.\n")
    (folder / "b.txt").write_text("The second document.\n")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    return folder


def _corpus() -> str:
    return f"corpora/cli-{uuid.uuid4().hex[:10]}"


def _ingest(server: EmbeddedServer, *args: str) -> int:
    return main(["ingest", *args, "--base-url", server.base_url, "--api-key", "k"])


def test_json_last_line_has_the_counts_and_failures_do_not_fail_the_run(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus()
    assert _ingest(server, str(docs), "--corpus", corpus, "--json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert all(key in report for key in REQUIRED)
    assert (report["documents_added"], report["chunks_created"]) == (2, 2)
    assert [Path(f["path"]).name for f in report["failed"]] == ["broken.pdf"]
    assert "PDF" in report["failed"][0]["reason"]
    assert captured.err == ""  # no progress bar, no pypdf chatter
    assert _ingest(server, str(docs), "--corpus", corpus, "--json") == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["documents_unchanged"], again["chunks_created"]) == (2, 0)


def test_readable_summary_and_chunking_flags(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (docs / "long.md").write_text(" ".join(f"Sentence number {i} is here." for i in range(200)))
    corpus = _corpus()
    code = _ingest(
        server, str(docs), "--corpus", corpus, "--chunk-tokens", "64", "--overlap-tokens", "0"
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"{corpus}: 3 added" in out and "failed (1):" in out and "broken.pdf" in out
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        name = f"{corpus}/documents/{document_id('long.md')}"
        chunks = list(client.corpora.documents.chunks.list(name, page_size=100))
        assert len(chunks) > 10
        assert all(c.data.string_value.startswith("long\n\nSentence") for c in chunks)
    plain = _corpus()
    assert _ingest(server, str(docs), "--corpus", plain, "--no-context") == 0
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        name = f"{plain}/documents/{document_id('long.md')}"
        chunks = list(client.corpora.documents.chunks.list(name, page_size=100))
        assert all(c.data.string_value.startswith("Sentence") for c in chunks)


def test_dry_run_prints_the_plan_and_creates_nothing(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus()
    assert _ingest(server, str(docs), "--corpus", corpus, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "ACTION" in out and "BATCHES" in out and "dry run, nothing sent" in out
    assert "would be created" in out
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        assert corpus not in [c.name for c in client.corpora.list()]


def test_delete_flag(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus()
    _ingest(server, str(docs), "--corpus", corpus, "--json")
    (docs / "b.txt").unlink()
    assert _ingest(server, str(docs), "--corpus", corpus, "--json", "--delete") == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["documents_deleted"] == 1


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    report: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return report


def test_root_gives_sub_folder_runs_the_ids_of_a_whole_tree_run(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "docs"
    for relative in ("a/one.md", "a/two.md", "b/three.md"):
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_text(f"# {relative}\n\nText of {relative}.\n")
    split, whole = _corpus(), _corpus()
    for folder in ("a", "b"):
        assert _ingest(server, str(tree / folder), "--root", str(tree), "--corpus", split) == 0
    assert _ingest(server, str(tree), "--corpus", whole) == 0
    capsys.readouterr()
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        ids = [
            {d.name.rsplit("/", 1)[-1] for d in client.corpora.documents.list(c)}
            for c in (split, whole)
        ]
    assert ids[0] == ids[1] == {document_id(s) for s in ("a/one.md", "a/two.md", "b/three.md")}

    (tree / "a/two.md").unlink()
    (tree / "b/three.md").unlink()
    args = ["--root", str(tree), "--corpus", split, "--delete", "--json"]
    assert _ingest(server, str(tree / "a"), *args) == 0
    assert _last_json(capsys)["documents_deleted"] == 1  # a/two.md only: b is a sibling
    assert _ingest(server, str(tree / "b"), *args) == 0
    assert _last_json(capsys)["documents_deleted"] == 1  # now b/three.md


def test_root_must_contain_every_path(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cases = [(elsewhere, f"--root {elsewhere} does not contain {docs}"),
             (tmp_path / "nope", "no such directory")]  # fmt: skip
    for root, message in cases:
        with pytest.raises(SystemExit) as exited:
            main(["ingest", str(docs), "--root", str(root), "--corpus", "corpora/x",
                  "--base-url", "http://127.0.0.1:9"])  # fmt: skip
        assert exited.value.code == 2
        assert message in capsys.readouterr().err


def test_embedded_default_uses_the_data_dir(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RAGKIT_BASE_URL", raising=False)
    data = tmp_path / "store"
    args = ["ingest", str(docs), "--corpus", "corpora/local", "--data-dir", str(data),
            "--embedder", "hash", "--json"]  # fmt: skip
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["documents_added"] == 2
    assert data.is_dir()
    assert main(args) == 0  # a second process would find the same data
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["documents_unchanged"] == 2


def test_fatal_errors_exit_1(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(tmp_path / "nope"), "--corpus", "corpora/x",
                 "--base-url", "http://127.0.0.1:9"]) == 1  # fmt: skip
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["ingest", str(docs), "--base-url", "http://127.0.0.1:9"]) == 1
    assert "--corpus is required" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("surprise = 1")
    assert main(["ingest", "--pipeline", str(bad), "--corpus", "corpora/x"]) == 1
    assert "unknown key" in capsys.readouterr().err


def test_unreachable_server_exits_1_with_a_json_line(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ingest", str(docs), "--corpus", "corpora/x", "--json",
                 "--base-url", "http://127.0.0.1:9", "--api-key", "k"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    last = json.loads(captured.out.strip().splitlines()[-1])
    assert "error" in last and last["documents_added"] == 0
    assert captured.err.startswith("ragkit ingest: error:")


def test_usage_errors_exit_2(docs: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ingest", str(docs), "--corpus", "corpora/x", "--chunk-tokens", "zero"])
    assert exited.value.code == 2
