"""search/asearch against the in-process server: scores, text, provenance, filters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import ragkit
from ragkit.rag.filters import F, FilterError
from ragkit.rag.query import asearch, search
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from tests.rag import _corpus


def test_results_carry_score_text_names_and_provenance(client: ragkit.Client) -> None:
    results = search(client, "kb", "how long does the warranty last", results=3)
    assert len(results) == 3
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    top = results[0]
    assert top.text.startswith("The widget warranty lasts two years")
    assert top.document_name == _corpus.MANUAL
    assert top.chunk_name.startswith(_corpus.MANUAL + "/chunks/")
    assert (top.provenance.source, top.provenance.page_start, top.provenance.section) == (
        "manual.pdf", 7, "Warranty"
    )  # fmt: skip
    assert top.cite() == "manual.pdf, p. 7, Warranty"
    assert top.metadata["source"] == "manual.pdf"


def test_document_level_filters_select_documents(client: ragkit.Client) -> None:
    recent = search(client, "corpora/kb", "widget firmware", where="year >= 2020")
    assert recent and {r.document_name for r in recent} == {_corpus.MANUAL}
    german = search(client, "kb", "widget", where='lang == "de" or lang == "fr"')
    assert german and {r.document_name for r in german} == {_corpus.NOTES}
    tagged = search(client, "kb", "widget", where=F("tags").includes("firmware"))
    assert {r.document_name for r in tagged} == {_corpus.NOTES}


def test_chunk_level_provenance_filters(client: ragkit.Client) -> None:
    pages = search(client, "kb", "widget", where="page_start >= 5 and page_start < 9")
    assert [r.provenance.page_start for r in pages] == [7]
    sections = search(client, "kb", "widget", where='section == "Release notes > 1.3"')
    assert [r.text for r in sections] == [_corpus.NOTES_CHUNKS[1][0]]


def test_searching_one_document(client: ragkit.Client) -> None:
    results = search(client, _corpus.NOTES, "battery", results=5)
    assert {r.document_name for r in results} == {_corpus.NOTES}
    assert results[0].provenance.cite() == "notes/release.md, Release notes > 1.3"


def test_invalid_filters_and_counts_fail_before_sending(client: ragkit.Client) -> None:
    with pytest.raises(FilterError, match="a search inside one document"):
        search(client, _corpus.NOTES, "battery", where="year > 2000")
    with pytest.raises(ValueError, match="between 1 and 100"):
        search(client, "kb", "x", results=0)


@pytest.fixture
async def async_client(tmp_path: Path) -> AsyncIterator[ragkit.AsyncClient]:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with ragkit.AsyncClient(base_url="http://ragkit", transport=transport) as client:
            await client.corpora.create(name="kb")
            doc = await client.corpora.documents.create(
                "kb", name="d", custom_metadata={"source": "a.md", "year": 2024}
            )
            assert doc.name is not None
            await client.corpora.documents.chunks.create(
                doc.name, data="Tea is brewed at eighty degrees.",
                custom_metadata={"source": "a.md", "section": "Tea", "position": 0},
            )  # fmt: skip
            yield client


async def test_asearch_matches_search(async_client: ragkit.AsyncClient) -> None:
    results = await asearch(async_client, "kb", "brewing tea", where="year == 2024")
    assert [r.cite() for r in results] == ["a.md, Tea"]
    assert await asearch(async_client, "kb", "brewing tea", where="year == 1999") == []
    one = await asearch(async_client, "corpora/kb/documents/d", "tea", where='source == "a.md"')
    assert [r.text for r in one] == ["Tea is brewed at eighty degrees."]


def test_result_body_drops_the_context_line_the_citation_repeats() -> None:
    from ragkit.provenance import Provenance
    from ragkit.rag.query import SearchResult

    def result(text: str, section: str | None, title: str = "Guide") -> SearchResult:
        provenance = Provenance(source="g.md", title=title, section=section)
        return SearchResult(
            0.5, text, "corpora/c/documents/d/chunks/k", "corpora/c/documents/d", provenance
        )

    assert result("Guide > Install\n\nRun it.", "Guide > Install").body == "Run it."
    assert result("Guide\n\nIntro.", None).body == "Intro."
    # Text without a context line (another client's chunk) is left alone.
    assert result("Install\nsteps\n\nRun it.", "Guide > Install").body.startswith("Install\nsteps")
    assert result("Something else\n\nRun it.", "Guide > Install").body.startswith("Something")
    assert result("Guide > Install", "Guide > Install").body == "Guide > Install"
