"""A multi-turn conversation over your documents.

    python examples/chat_session.py

Each turn sends the history (user and model turns) along with the new question, so
follow-ups are answered in context; retrieval uses the latest question.
"""

from __future__ import annotations

from pathlib import Path

import ragkit
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.rag import Conversation
from ragkit.rag.local import local_server

DOCS = Path(__file__).parent / "docs"
CORPUS = "corpora/quickstart"
CHUNKING = ChunkingConfig(chunk_tokens=160, overlap_tokens=0)
TURNS = [
    "How do I enable WAL mode in SQLite?",
    "Is the WAL setting persistent?",
    "Do readers block writers in WAL mode?",
    "What does a checkpoint do?",
    "Who invented the telephone?",
]


def main() -> None:
    with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
        ingest([DOCS], corpus=CORPUS, client=client, chunking=CHUNKING)
        chat = Conversation(client, CORPUS, cascade=True)
        for question in TURNS:
            answer = chat.ask(question)
            print(f"you> {question}")
            print(answer.format(), end="\n\n")
        print(f"({len(chat.history)} turns in the history)")


if __name__ == "__main__":
    main()
