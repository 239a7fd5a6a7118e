"""LangChain's Google integration (GoogleVectorStore, GenAIAqa) against ``ragkit serve``'s gRPC
front, unchanged except for the endpoint and the CA. Heavy, so run by hand in a throwaway
venv, never in the test run::

    python3 -m venv /tmp/venv-lc && /tmp/venv-lc/bin/pip install "langchain-google-genai>=2,<3.1"
    ragkit serve --data-dir /tmp/lc-data --embedder hash --grpc-port 50051 &
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=/tmp/lc-data/tls/ca.pem \
        /tmp/venv-lc/bin/python bench/compat/langchain_google.py 127.0.0.1:50051

Prints one line per step: name | ok/FAIL | result or error.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Callable
from typing import Any

from google.auth.credentials import AnonymousCredentials
from langchain_google_genai import GenAIAqa, GoogleVectorStore
from langchain_google_genai import _genai_extension as genaix
from langchain_google_genai.genai_aqa import AqaInput

TEXTS = ["Interest rates were raised by the central bank.", "The cat sat on the warm windowsill."]

Step = tuple[str, str, str]


def step(steps: list[Step], name: str, call: Callable[[], Any]) -> Any:
    try:
        out = call()
    except Exception as exc:
        steps.append((name, "FAIL", f"{type(exc).__name__}: {str(exc)[:300]}"))
        return None
    steps.append((name, "ok", str(out)[:140]))
    return out


def main(target: str) -> None:
    warnings.simplefilter("ignore")
    genaix.set_config(genaix.Config(api_endpoint=target, auth_credentials=AnonymousCredentials()))
    steps: list[Step] = []
    store = step(
        steps,
        "create_corpus",
        lambda: GoogleVectorStore.create_corpus(corpus_id="lc-corpus", display_name="LC"),
    )
    doc = step(
        steps,
        "create_document",
        lambda: GoogleVectorStore.create_document(
            corpus_id="lc-corpus", document_id="lc-doc", display_name="LC doc"
        ),
    )
    metadatas = [{"author": "ann"}, {"author": "bob"}]
    step(steps, "add_texts", lambda: doc.add_texts(TEXTS, metadatas=metadatas))
    step(
        steps,
        "similarity_search",
        lambda: [d.page_content for d in store.similarity_search("who raised rates", k=1)],
    )
    step(
        steps,
        "similarity_search filter",
        lambda: [
            d.page_content for d in store.similarity_search("animal", k=2, filter={"author": "bob"})
        ],
    )
    step(steps, "retriever", lambda: [d.page_content for d in store.as_retriever().invoke("cat")])
    step(steps, "as_aqa", lambda: store.as_aqa().invoke("Who raised interest rates?").answer)
    question = AqaInput(prompt="Where did the cat sit?", source_passages=[TEXTS[1]])
    step(steps, "GenAIAqa inline", lambda: GenAIAqa().invoke(question).answer)
    step(
        steps,
        "asimilarity_search",
        lambda: [d.page_content for d in asyncio.run(store.asimilarity_search("bank", k=1))],
    )
    for line in steps:
        print(*line, sep=" | ")


if __name__ == "__main__":
    main(sys.argv[1])
