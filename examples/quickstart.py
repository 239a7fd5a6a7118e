"""Ask questions of a folder of documents, with citations, on ragkit's embedded server.

    python examples/quickstart.py

Runs ragkit's server inside this process (data in the embedded default's folder: see
`ragkit status`), ingests examples/docs/
(markdown files and a PDF) into a corpus, and answers a few questions, each with numbered
citations to file, page and section. Run it again: unchanged files are not re-uploaded.
The last question is not covered by the documents, so ragkit says so instead of guessing.

Set RAGKIT_EMBEDDER=hash for a quick run without loading the embedding model (retrieval
is then only lexical).
"""

from __future__ import annotations

from pathlib import Path

import ragkit
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.rag import ask
from ragkit.rag.local import local_server

DOCS = Path(__file__).parent / "docs"
CORPUS = "corpora/quickstart"
#: Short chunks (about one section each) make precise citations; AQA works best on
#: passages of at most a few hundred tokens.
CHUNKING = ChunkingConfig(chunk_tokens=160, overlap_tokens=0)
QUESTIONS = [
    "How do I enable WAL mode in SQLite?",
    "What does NFC normalization do?",
    "What is the golden rule of rebasing?",
    "How long is a cached response fresh?",
    "What is the boiling point of mercury?",
]


def main() -> None:
    with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
        report = ingest([DOCS], corpus=CORPUS, client=client, chunking=CHUNKING)
        print(report.summary(), end="\n\n")
        for question in QUESTIONS:
            answer = ask(client, CORPUS, question)
            print(f"Q: {question}  (answerable probability {answer.answerable_probability:.2f})")
            print(answer.format(), end="\n\n")


if __name__ == "__main__":
    main()
