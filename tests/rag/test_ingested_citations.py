"""Citations map back to file and page for documents ingested by ragkit.ingest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import ragkit
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.rag import ask, search
from ragkit.server.embedded import EmbeddedServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _build_pdf() -> bytes:
    spec = importlib.util.spec_from_file_location("make_pdf", EXAMPLES / "make_pdf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: bytes = module.build_pdf()
    return data


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_a_pdf_answer_cites_its_file_and_page(
    server: EmbeddedServer, client: ragkit.Client, tmp_path: Path, mode: str
) -> None:
    folder = tmp_path / "manuals"
    (folder / "text").mkdir(parents=True)
    (folder / "text" / "unicode.pdf").write_bytes(_build_pdf())
    corpus = f"corpora/pdf-{mode}"
    report = ingest(
        [folder],
        corpus=corpus,
        client=client,
        chunking=ChunkingConfig(chunk_tokens=100, overlap_tokens=0),
    )
    assert report.documents_added == 1 and not report.failed
    pages = {r.provenance.page_start for r in search(client, corpus, "code points", results=20)}
    assert pages == {1, 2, 3}

    answer = ask(client, corpus, "Which Python function normalizes a string to NFC?", mode=mode)  # type: ignore[arg-type]
    assert not answer.abstained
    assert "unicodedata.normalize" in answer.text
    cited = answer.citations[0]
    assert (cited.source, cited.page) == ("text/unicode.pdf", "3")
    assert cited.chunk_name is not None and cited.chunk_name.startswith(corpus + "/documents/")
    assert "unicodedata.normalize" in cited.quote
    assert cited.format() == "[1] text/unicode.pdf, p. 3"
