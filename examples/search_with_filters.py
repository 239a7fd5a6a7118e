"""Semantic search with metadata filters: the filter language and its builder.

    python examples/search_with_filters.py

Ingests examples/docs/ on the embedded server (its data folder: `ragkit status`), then
searches with filters on
document metadata (the front matter's ``tags``) and on chunk provenance (``source``,
``page_start``), and shows how a mistake in a filter is reported.
"""

from __future__ import annotations

from pathlib import Path

import ragkit
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.rag import F, FilterError, search
from ragkit.rag.filters import WhereInput
from ragkit.rag.local import local_server

DOCS = Path(__file__).parent / "docs"
CORPUS = "corpora/quickstart"
CHUNKING = ChunkingConfig(chunk_tokens=160, overlap_tokens=0)


def show(client: ragkit.Client, query: str, where: WhereInput) -> None:
    print(f"search {query!r} where {where}")
    for result in search(client, CORPUS, query, where=where, results=3):
        text = " ".join(result.text.split())
        print(f"  {result.score:.2f}  {result.cite()}: {text[:70]}...")
    print()


def main() -> None:
    with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
        ingest([DOCS], corpus=CORPUS, client=client, chunking=CHUNKING)

        # Document metadata: tags come from each markdown file's front matter.
        show(client, "how are changes written to disk", 'tags includes "sqlite"')
        # Chunk provenance: only the PDF, from its second page on.
        show(client, "bytes per character", 'source == "unicode-text.pdf" and page_start >= 2')
        # Alternatives on one key are ORed; different keys are ANDed.
        show(client, "what is kept", '(tags includes "git" or tags includes "http")')

        # The same filter built in Python.
        built = F("source").one_of("git-rebase.md", "python-venv.md") & (F("position") < 2)
        show(client, "history", built)

        try:
            search(client, CORPUS, "anything", where="tags includes sqlite or year > 2020")
        except FilterError as error:
            print(error)


if __name__ == "__main__":
    main()
