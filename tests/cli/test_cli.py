"""Every client-side ``ragkit`` command, run in-process via ``main(argv)``."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.cli import main
from ragkit.server.embedded import EmbeddedServer
from tests.rag import _corpus


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedServer(tmp_path_factory.mktemp("cli-data"), embedder="hash") as server:
        with ragkit.Client(base_url=server.base_url) as client:
            _corpus.build(client)
        yield server.base_url


@pytest.fixture(autouse=True)
def _no_ambient_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "RAGKIT_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_corpora_lifecycle(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "corpora", "create", "--name", "tmp", "--display-name", "Temp", "--base-url", url
    )
    assert (code, out) == (0, "corpora/tmp\n")
    code, out, _ = run(capsys, "corpora", "list", "--base-url", url)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "DISPLAY", "NAME", "CREATED"]
    assert any(line.startswith("corpora/kb ") and "Knowledge base" in line for line in lines)
    code, out, _ = run(capsys, "corpora", "get", "tmp", "--json", "--base-url", url)
    assert code == 0 and json.loads(out)["displayName"] == "Temp"
    code, out, _ = run(capsys, "corpora", "get", "tmp", "--base-url", url)
    assert "display name  Temp" in out
    code, out, _ = run(capsys, "corpora", "delete", "tmp", "--base-url", url)
    assert (code, out) == (0, "deleted tmp\n")
    code, out, err = run(capsys, "corpora", "get", "tmp", "--base-url", url)
    assert code == 1 and out == ""
    # Google (and ragkit) answer PERMISSION_DENIED for a corpus that does not exist.
    assert err.startswith("ragkit corpora get: error: ")
    assert err.rstrip().endswith("(PERMISSION_DENIED)")
    assert err.count("\n") == 1


def test_documents_and_chunks(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "documents", "list", "kb", "--base-url", url)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == [_corpus.MANUAL, _corpus.NOTES]
    assert "manual.pdf" in out and "notes/release.md" in out
    code, out, _ = run(capsys, "documents", "get", _corpus.MANUAL, "--base-url", url)
    assert re.search(r"^metadata\.tags +faq, hardware$", out, re.MULTILINE)
    assert re.search(r"^metadata\.year +2021$", out, re.MULTILINE)
    code, out, _ = run(capsys, "documents", "list", "kb", "--json", "--base-url", url)
    assert [d["name"] for d in json.loads(out)] == [_corpus.MANUAL, _corpus.NOTES]
    code, out, _ = run(capsys, "chunks", "list", _corpus.MANUAL, "--base-url", url)
    rows = out.splitlines()
    assert code == 0 and rows[0].split() == ["NAME", "STATE", "SOURCE", "TEXT"]
    assert "ACTIVE" in rows[1] and "manual.pdf, p. 4, Setup > Install" in rows[1]
    code, out, _ = run(
        capsys, "chunks", "list", _corpus.MANUAL, "--limit", "2", "--json", "--base-url", url
    )
    assert len(json.loads(out)) == 2
    code, _, err = run(
        capsys, "documents", "delete", "corpora/kb/documents/nope", "--base-url", url
    )
    assert code == 1 and "ragkit documents delete: error:" in err


def test_documents_delete(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with ragkit.Client(base_url=url) as client:
        client.corpora.create(name="scratch")
        client.corpora.documents.create("scratch", name="d")
    code, out, _ = run(
        capsys, "documents", "delete", "corpora/scratch/documents/d", "--json", "--base-url", url
    )
    assert code == 0 and json.loads(out) == {"deleted": "corpora/scratch/documents/d"}
    code, out, _ = run(capsys, "corpora", "delete", "scratch", "--force", "--base-url", url)
    assert code == 0


def test_query_table_json_and_filter_errors(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "query",
        "kb",
        "warranty",
        "--where",
        "year >= 2020",
        "--results",
        "2",
        "--base-url",
        url,
    )
    rows = out.splitlines()
    assert code == 0 and rows[0].split() == ["#", "SCORE", "SOURCE", "TEXT"] and len(rows) == 3
    assert "manual.pdf, p. 7, Warranty" in rows[1]
    code, out, _ = run(capsys, "query", _corpus.NOTES, "battery", "--json", "--base-url", url)
    data = json.loads(out)
    assert data[0]["provenance"]["section"] == "Release notes > 1.3"
    assert data[0]["document_name"] == _corpus.NOTES
    code, out, err = run(capsys, "query", "kb", "x", "--where", 'year >= "2020"', "--base-url", url)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "ragkit query: error: invalid filter at column 9: "
        "'>=' compares numbers, but '2020' is a string",
        '  year >= "2020"',
        "          ^^^^^^",
    ]


def test_ask_prints_numbered_citations(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "ask",
        "How long does the widget warranty last?",
        "--corpus",
        "kb",
        "--base-url",
        url,
    )
    assert code == 0
    lines = out.splitlines()
    assert "two years" in lines[0]
    assert "[1] manual.pdf, p. 7, Warranty" in lines
    assert any(line.startswith('    "') and "warranty lasts two years" in line for line in lines)
    code, out, _ = run(
        capsys,
        "ask",
        "How long is the warranty?",
        "-c",
        "kb",
        "--mode",
        "passages",
        "--json",
        "--base-url",
        url,
    )
    data = json.loads(out)
    assert data["abstained"] is False and data["citations"][0]["page"] == "7"


def test_ask_abstains_and_reports_usage_errors(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "ask", "Who painted the Sistine Chapel?", "-c", "kb", "--cascade", "--base-url", url
    )
    assert code == 0 and out.startswith("Not in the documents")
    assert "below the threshold 0.50" in out
    code, _, err = run(capsys, "ask", "Anything?", "--base-url", url)
    assert code == 1 and "give --corpus CORPUS, or --docs FOLDER" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "q", "-c", "kb", "--threshold", "2"])
    assert exit_info.value.code == 2


def test_chat_answers_each_line_until_exit(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        "How do I install the widget?\n\n/reset\nHow long does the warranty last?\n/exit\nWho?\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    code, out, _ = run(capsys, "chat", "--corpus", "kb", "--base-url", url)
    assert code == 0
    assert "[1] manual.pdf, p. 4, Setup > Install" in out
    assert "[1] manual.pdf, p. 7, Warranty" in out
    assert "Not in the documents" not in out  # "Who?" came after /exit
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("How do I install the widget?\nAnd the warranty?\n")
    )
    code, out, _ = run(capsys, "chat", "-c", "kb", "--json", "--base-url", url)
    turns = [json.loads(line) for line in out.splitlines()]
    assert [t["question"] for t in turns] == ["How do I install the widget?", "And the warranty?"]


def test_access_commands(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with ragkit.Client(base_url=url) as client:
        client.corpora.create(name="handbook")
    base = ("--base-url", url)
    code, out, _ = run(capsys, "access", "grant", "handbook", "alice@example.com", *base)
    assert code == 0 and "alice@example.com  READER" in out
    code, out, _ = run(capsys, "access", "change", "handbook", "alice@example.com", "writer", *base)
    assert "alice@example.com  WRITER" in out
    code, _, err = run(capsys, "access", "grant", "handbook", "everyone", "--role", "WRITER", *base)
    assert code == 1 and "everyone can only be granted READER" in err
    file = tmp_path / "access.toml"
    file.write_text(
        '[[corpus]]\nname = "corpora/handbook"\nreaders = ["everyone"]\n', encoding="utf-8"
    )
    code, out, _ = run(capsys, "access", "plan", str(file), *base)
    assert out.splitlines() == [
        "+ grant READER to everyone on corpora/handbook",
        "- revoke WRITER from alice@example.com on corpora/handbook",
        "2 changes planned",
    ]
    code, out, _ = run(capsys, "access", "apply", str(file), "--json", *base)
    assert [c["action"] for c in json.loads(out)] == ["grant", "revoke"]
    code, out, _ = run(capsys, "access", "plan", str(file), *base)
    assert out == "no changes: the corpora already match the file\n"
    code, out, _ = run(capsys, "access", "list", "handbook", "--json", *base)
    assert {e["grantee"]: e["role"] for e in json.loads(out)}["everyone"] == "READER"
    code, out, _ = run(capsys, "access", "revoke", "handbook", "everyone", *base)
    assert code == 0 and "everyone" in out
    file.write_text('[[corpus]]\nname = "h"\nwriters = ["everyone"]\n', encoding="utf-8")
    code, _, err = run(capsys, "access", "apply", str(file), *base)
    assert code == 1 and "everyone can only be granted READER" in err


def test_embedded_default_without_base_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = ("--data-dir", str(tmp_path / "local"), "--embedder", "hash")
    code, out, _ = run(capsys, "corpora", "create", "--name", "local", *local)
    assert (code, out) == (0, "corpora/local\n")
    code, out, _ = run(capsys, "corpora", "list", "--json", *local)
    assert [c["name"] for c in json.loads(out)] == ["corpora/local"]
    assert (tmp_path / "local").is_dir()


@pytest.mark.slow  # two embedded servers, each ingesting the folder
def test_ask_and_chat_on_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "My Notes"
    docs.mkdir()
    (docs / "tea.md").write_text(
        "# Tea\n\n## Brewing\n\nGreen tea is brewed at eighty degrees for two minutes.\n",
        encoding="utf-8",
    )
    local = ("--docs", str(docs), "--data-dir", str(tmp_path / "data"), "--embedder", "hash")
    code, out, err = run(capsys, "ask", "At what temperature is green tea brewed?", *local)
    assert code == 0, err
    assert "eighty degrees" in out and "[1] tea.md, Tea" in out
    assert "into corpora/my-notes" in err and "1 added" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("How long is green tea brewed?\n"))
    code, out, err = run(capsys, "chat", *local, "--json")
    assert code == 0 and "1 unchanged" in err
    turn = json.loads(out)
    assert turn["citations"][0]["source"] == "tea.md" and "two minutes" in turn["text"]
    code, _, err = run(capsys, "ask", "q", "--docs", str(docs / "tea.md"), "--base-url", "http://x")
    assert code == 1 and "is not a folder" in err
