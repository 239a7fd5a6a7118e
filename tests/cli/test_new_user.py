"""The rough edges a new user's try of the CLI found, each pinned: --strict, globs, a named
unsupported file, -q/-v, limits in words with the flag that raises them, --force, tables
that fit, a closed pipe, a missing extra, and ``ragkit status``."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.cli import main
from ragkit.cli._output import print_table
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.service.quotas import Quotas
from tests.cli.conftest import NewUser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    quotas = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)
    data = tmp_path_factory.mktemp("new-user-server")
    with EmbeddedServer(data, embedder="hash", quotas=quotas) as running:
        yield running


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "guides").mkdir(parents=True)
    (folder / "a.md").write_text("# Alpha\n\nThe first document.\n")
    (folder / "guides" / "b.md").write_text("# Beta\n\nThe second document.\n")
    (folder / "c.txt").write_text("The third document.\n")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _ingest(
    capsys: pytest.CaptureFixture[str], server: EmbeddedServer, *argv: str
) -> tuple[int, str, str]:
    return _run(capsys, "ingest", *argv, "--base-url", server.base_url)


def test_strict_fails_the_run_when_a_file_failed(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str], new_user: NewUser
) -> None:
    code, out, err = _ingest(capsys, server, str(docs), "--corpus", "strict", "-q")
    assert code == 0 and "failed (1):" in out
    code, out, err = _ingest(capsys, server, str(docs), "--corpus", "strict", "--strict", "-q")
    assert code == 1 and "3 unchanged" in out
    assert err == "ragkit ingest: error: 1 file(s) failed (--strict)\n"


def test_include_and_exclude_globs(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str], new_user: NewUser
) -> None:
    argv = [str(docs), "--corpus", "globs", "--include", "*.md", "--exclude", "guides/**", "--json"]
    code, out, _ = _ingest(capsys, server, *argv)
    report = json.loads(out.splitlines()[-1])
    assert code == 0 and (report["documents_added"], report["failed"]) == (1, [])
    with ragkit.Client(base_url=server.base_url) as client:
        names = [d.display_name for d in client.corpora.documents.list("corpora/globs")]
    assert names == ["Alpha"]


def test_a_named_unsupported_file_is_an_error_not_a_skip(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str], new_user: NewUser
) -> None:
    (docs / "notes.docx").write_bytes(b"PK\x03\x04")
    code, out, err = _ingest(capsys, server, str(docs / "notes.docx"), "--corpus", "one")
    assert (code, out) == (1, "")
    assert err.startswith("ragkit ingest: error: ") and "unsupported file type .docx" in err
    assert ".md" in err and err.count("\n") == 1
    code, out, _ = _ingest(capsys, server, str(docs), "--corpus", "one", "-q")
    assert code == 0 and "skipped (1):" in out  # inside a folder it is still a skip


def test_progress_lines_in_logs_and_quiet_and_verbose(
    server: EmbeddedServer,
    docs: Path,
    capsys: pytest.CaptureFixture[str],
    new_user: NewUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("RAGKIT_PROGRESS_INTERVAL", "0")
    code, _, err = _ingest(capsys, server, str(docs), "--corpus", "loud")
    assert code == 0
    assert "ingest: 3/3 chunks (100%)" in err and "chunks/s" in err
    code, _, err = _ingest(capsys, server, str(docs), "--corpus", "hush", "-q")
    assert code == 0 and err == ""
    root = logging.getLogger()
    level = root.level
    try:
        with caplog.at_level(logging.INFO):
            code, _, _ = _run(capsys, "corpora", "list", "-v", "--base-url", server.base_url)
    finally:
        root.setLevel(level)
    assert code == 0
    assert any("HTTP Request: GET" in r.getMessage() for r in caplog.records)


def test_corpora_delete_suggests_force(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str], new_user: NewUser
) -> None:
    assert _ingest(capsys, server, str(docs / "a.md"), "--corpus", "full", "-q")[0] == 0
    code, _, err = _run(capsys, "corpora", "delete", "full", "--base-url", server.base_url)
    assert code == 1
    assert "add --force to delete them with it" in err and "force=true" not in err
    assert (
        _run(capsys, "corpora", "delete", "full", "--force", "--base-url", server.base_url)[0] == 0
    )


def test_the_embedded_limit_is_named_with_its_flag(
    new_user: NewUser, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "corpora", "create", "--name", "first")[0] == 0
    code, _, err = _run(capsys, "corpora", "create", "--name", "second", "--max-corpora", "1")
    assert code == 1
    assert err.startswith("ragkit corpora create: error: limit of corpora per user reached: ")
    assert "has created 1 of 1 corpora" in err
    assert f"the embedded server's limit (data folder {new_user.data})" in err
    assert "raise it with --max-corpora N (0 = unlimited)" in err
    assert "this server" not in err and err.count("\n") == 1


def test_limit_flags_reach_the_embedded_server() -> None:
    from argparse import Namespace

    from ragkit.cli._connect import quotas_from_args

    args = main.__globals__["build_parser"](["ingest"]).parse_args(
        ["ingest", "x", "--max-corpora", "0", "--max-chunks-per-corpus", "7"]
    )
    assert quotas_from_args(args) == {"max_corpora": None, "max_chunks_per_corpus": 7}
    assert quotas_from_args(Namespace()) == {}


def test_tables_fit_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    long = "word " * 40
    print_table(
        ("#", "NAME", "TEXT"), [(1, "corpora/a-rather-long-corpus-name", long), (2, "b", "x")]
    )
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 50 for line in lines), lines
    assert lines[1].endswith("…") and lines[0].split() == ["#", "NAME", "TEXT"]
    monkeypatch.delenv("COLUMNS")
    print_table(("TEXT",), [(long.strip(),)])  # not a terminal: nothing is cut
    assert capsys.readouterr().out.splitlines()[1] == long.strip()


def test_output_into_a_closed_pipe_ends_quietly(server: EmbeddedServer, tmp_path: Path) -> None:
    with ragkit.Client(base_url=server.base_url) as client:
        client.corpora.create(name="pipe")
        document = client.corpora.documents.create("corpora/pipe", name="big")
        # About 200 KB of JSON: more than a pipe holds, so the writer meets the closed end.
        client.corpora.documents.chunks.batch_create(
            document.name, [f"chunk {i} " + "padding " * 250 for i in range(100)]
        )
    reader = subprocess.Popen(
        [sys.executable, "-m", "ragkit", "chunks", "list", "corpora/pipe/documents/big", "--json",
         "--base-url", server.base_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline().strip() == b"["
    reader.stdout.close()  # what `| head -1` does
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 141
    assert err == ""


def test_a_missing_extra_is_one_line_naming_it(
    new_user: NewUser, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if ragkit[fast] were not installed
    code, out, err = _run(capsys, "corpora", "create", "--name", "w", "--embedder", "wordllama")
    assert (code, out) == (1, "")
    assert err == (
        "ragkit corpora create: error: the wordllama embedder needs the wordllama package: "
        "pip install 'ragkit[fast]'\n"
    )
    assert not new_user.data.exists()


def test_status_of_a_server_and_of_a_new_machine(
    server: EmbeddedServer, docs: Path, capsys: pytest.CaptureFixture[str], new_user: NewUser
) -> None:
    assert _ingest(capsys, server, str(docs), "--corpus", "counted", "-q")[0] == 0
    code, out, _ = _run(capsys, "status", "--base-url", server.base_url)
    assert code == 0
    assert f"server          {server.base_url}" in out
    assert f"ragkit          {ragkit.__version__}" in out
    assert f"server version  {ragkit.__version__}" in out and "embedder        hash" in out
    row = next(line for line in out.splitlines() if line.startswith("corpora/counted "))
    assert row.split()[-2:] == ["3", "3"]  # documents, chunks
    code, out, _ = _run(capsys, "status", "--json")
    facts = json.loads(out)
    assert (facts["dataDir"], facts["exists"], facts["corpora"]) == (str(new_user.data), False, [])
    assert facts["ragkitVersion"] == ragkit.__version__
    assert not new_user.data.exists()


def test_a_remote_servers_limit_is_named_with_the_serve_flag() -> None:
    from argparse import Namespace

    from ragkit._exceptions import RateLimitError
    from ragkit.cli._explain import explain
    from ragkit.ingest.sync import IngestError, IngestReport

    error = RateLimitError(
        "Quota exceeded for chunks per corpus (max_chunks_per_corpus): corpus corpora/a holds "
        "10 of 10 chunks; this request adds 5.",
        code=429,
        status="RESOURCE_EXHAUSTED",
    )
    worded = explain(error, Namespace())
    assert worded == (
        "limit of chunks per corpus reached: corpus corpora/a holds 10 of 10 chunks; this "
        "request adds 5. That is the server's limit; a ragkit server's operator raises it "
        "with 'ragkit serve --max-chunks-per-corpus N'."
    )
    try:
        raise IngestError(f"ingestion stopped: {error}", IngestReport("corpora/a")) from error
    except IngestError as stopped:
        assert explain(stopped, Namespace()) == f"ingestion stopped: {worded}"
