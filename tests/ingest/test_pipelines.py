"""Each shipped pipeline (pipelines/*.toml), run by ``ragkit ingest --pipeline`` on small
fixture files made here, against the in-process server; plus pipeline-file validation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ragkit
from ragkit.cli import main
from ragkit.ingest.sync import PipelineError, document_id, load_pipeline
from ragkit.provenance import metadata_to_dict
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.service.quotas import Quotas
from ragkit.tokenizers import count_tokens

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    quotas = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)
    folder = tmp_path_factory.mktemp("pipelines-server")
    with EmbeddedServer(folder, embedder="hash", quotas=quotas) as running:
        yield running


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _run_pipeline(
    name: str, server: EmbeddedServer, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[str, dict[str, Any]]:
    corpus = f"corpora/p-{uuid.uuid4().hex[:10]}"
    code = main(
        ["ingest", "--pipeline", str(PIPELINES / f"{name}.toml"), "--corpus", corpus,
         "--base-url", server.base_url, "--api-key", "k", "--json", *extra]
    )  # fmt: skip
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    return corpus, json.loads(out[-1])


def _documents(server: EmbeddedServer, corpus: str) -> dict[str, dict[str, Any]]:
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        result = {}
        for document in client.corpora.documents.list(corpus):
            assert document.name
            chunks = [
                (
                    chunk.data.string_value if chunk.data else "",
                    metadata_to_dict(chunk.custom_metadata),
                )
                for chunk in client.corpora.documents.chunks.list(document.name, page_size=100)
            ]
            result[document.name.rsplit("/", 1)[-1]] = {
                "title": document.display_name,
                "metadata": metadata_to_dict(document.custom_metadata),
                "chunks": chunks,
            }
        return result


def _long_section(topic: str, sentences: int) -> str:
    return " ".join(f"The {topic} step {i} needs care and attention." for i in range(sentences))


@pytest.mark.parametrize("name", ["markdown-docs", "pdf-manuals", "html-site"])
def test_shipped_pipelines_are_valid(name: str) -> None:
    pipeline = load_pipeline(PIPELINES / f"{name}.toml")
    assert pipeline.name == name and pipeline.paths and pipeline.include
    assert pipeline.metadata["kind"]


def test_markdown_docs_pipeline(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / "docs",
        {
            "install.md": "---\ntitle: Installing\nproduct: widget\n---\n# Install\n\n"
            + _long_section("install", 80)
            + "\n\n## On Linux\n\nUse the package manager.\n",
            "guide/usage.markdown": "# Usage\n\nCall it.\n",
            "CHANGELOG.md": "# Changes\n\n- fixed\n",
            "node_modules/pkg/README.md": "# vendored\n",
            "notes.txt": "not markdown",
        },
    )
    corpus, report = _run_pipeline("markdown-docs", server, capsys)
    assert (report["documents_added"], report["failed"], report["skipped"]) == (2, [], [])
    documents = _documents(server, corpus)
    assert set(documents) == {document_id("install.md"), document_id("guide/usage.markdown")}
    install = documents[document_id("install.md")]
    assert install["title"] == "Installing"
    assert install["metadata"]["kind"] == "docs" and install["metadata"]["product"] == "widget"
    sections = {meta.get("section") for _, meta in install["chunks"]}
    assert "Install > On Linux" in sections or "Install" in sections
    assert len(install["chunks"]) > 1
    assert all(count_tokens(text) <= 400 for text, _ in install["chunks"])


def test_pdf_manuals_pipeline_cites_pages(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], make_pdf: Callable[..., bytes],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    page = "\n".join(f"Line {i}: tighten bolt {i} to the listed torque." for i in range(40))
    _write(
        tmp_path / "manuals",
        {
            "pump.pdf": make_pdf([page, page.replace("bolt", "valve"), "Warranty terms."],
                                 title="Pump Manual"),
            "locked.pdf": make_pdf(["secret"], user_password="pw"),
            "drafts/wip.pdf": make_pdf(["draft"]),
        },
    )  # fmt: skip
    corpus, report = _run_pipeline("pdf-manuals", server, capsys)
    assert report["documents_added"] == 1
    assert [Path(f["path"]).name for f in report["failed"]] == ["locked.pdf"]
    (pump,) = _documents(server, corpus).values()
    assert pump["title"] == "Pump Manual" and pump["metadata"]["kind"] == "manual"
    pages = sorted({(meta["page_start"], meta["page_end"]) for _, meta in pump["chunks"]})
    assert pages[0][0] == 1.0 and pages[-1][1] == 3.0
    warranty = [meta for text, meta in pump["chunks"] if "Warranty" in text]
    assert warranty and warranty[0]["page_end"] == 3.0
    assert all(count_tokens(text) <= 300 for text, _ in pump["chunks"])


def test_html_site_pipeline(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    article = (
        "<html><head><title>Getting Started</title><style>p{}</style></head><body>"
        "<nav><a href='/'>Home</a></nav><h1>Start</h1><p>{body}</p>"
        "<script>track()</script></body></html>"
    )
    _write(
        tmp_path / "site",
        {
            "index.html": article.replace("{body}", "Welcome to the site."),
            "docs/start.htm": article.replace("{body}", _long_section("setup", 60)),
            "search.html": "<html><body>search</body></html>",
            "tags/python/index.html": "<html><body>tag page</body></html>",
            "_static/x.html": "<html><body>static</body></html>",
            "style.css": "p {}",
        },
    )
    corpus, report = _run_pipeline("html-site", server, capsys)
    assert (report["documents_added"], report["failed"], report["skipped"]) == (2, [], [])
    documents = _documents(server, corpus)
    assert set(documents) == {document_id("index.html"), document_id("docs/start.htm")}
    start = documents[document_id("docs/start.htm")]
    assert start["title"] == "Getting Started" and start["metadata"]["kind"] == "web"
    text = " ".join(chunk for chunk, _ in start["chunks"])
    assert "track()" not in text and "p{}" not in text
    assert all(count_tokens(chunk) <= 350 for chunk, _ in start["chunks"])
    # Re-running the pipeline changes nothing.
    code = main(
        ["ingest", "--pipeline", str(PIPELINES / "html-site.toml"), "--corpus", corpus,
         "--base-url", server.base_url, "--api-key", "k", "--json"]
    )  # fmt: skip
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and again["documents_unchanged"] == 2 and again["chunks_created"] == 0


def test_paths_on_the_command_line_replace_the_pipeline_sources(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"handbook/a.md": "# A\n\nText.\n", "handbook/b.txt": "ignored by glob"})
    corpus, report = _run_pipeline("markdown-docs", server, capsys, "handbook")
    assert report["documents_added"] == 1
    assert set(_documents(server, corpus)) == {document_id("a.md")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nam = 'x'", "unknown key"),
        ("[source]\npath = ['docs']", "unknown key"),
        ("[chunking]\nchunk_tokens = 10", "chunk_tokens=10 is below"),
        ("[chunking]\nchunk_tokens = 'big'", "must be an integer"),
        ("[chunking]\ncontext = 'yes'", "must be true or false"),
        ("[metadata]\nsource = 'x'", "reserved"),
        ("[metadata]\ntags = [1, 2]", "expected a string"),
        ("corpus = 'Bad Name'", "invalid"),
        ("[source\n", "not valid TOML"),
    ],
)
def test_invalid_pipelines_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(PipelineError, match=message):
        load_pipeline(path)
    with pytest.raises(PipelineError, match="cannot read"):
        load_pipeline(tmp_path / "missing.toml")


def test_chunking_table_sets_size_and_context(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[chunking]\nchunk_tokens = 120\ncontext = false\n")
    chunking = load_pipeline(path).chunking
    assert (chunking.chunk_tokens, chunking.context) == (120, False)
    path.write_text("[chunking]\noverlap_tokens = 10\n")
    assert load_pipeline(path).chunking.context is True
