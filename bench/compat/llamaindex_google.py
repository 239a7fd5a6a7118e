"""LlamaIndex's Google integrations (GoogleIndex, GoogleVectorStore, GoogleTextSynthesizer)
against ``ragkit serve``'s gRPC front, unchanged except for the endpoint and the CA. Heavy,
so run by hand in a throwaway venv, never in the test run::

    python3 -m venv /tmp/venv-llama && /tmp/venv-llama/bin/pip install \
        llama-index-vector-stores-google llama-index-indices-managed-google \
        llama-index-response-synthesizers-google
    ragkit serve --data-dir /tmp/li-data --embedder hash --grpc-port 50051 &
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=/tmp/li-data/tls/ca.pem \
        /tmp/venv-llama/bin/python bench/compat/llamaindex_google.py 127.0.0.1:50051

Prints one line per step: name | ok/FAIL | result or error.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

from google.auth.credentials import AnonymousCredentials
from llama_index.core import Document, Settings
from llama_index.core.llms import MockLLM
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from llama_index.indices.managed.google import GoogleIndex
from llama_index.response_synthesizers.google import GoogleTextSynthesizer
from llama_index.vector_stores.google import GoogleVectorStore, set_google_config

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
    set_google_config(api_endpoint=target, auth_credentials=AnonymousCredentials())
    Settings.llm = MockLLM()  # as_query_engine wants an LLM object (OpenAI by default)
    steps: list[Step] = []
    index = step(
        steps, "GoogleIndex.create_corpus", lambda: GoogleIndex.create_corpus(display_name="LI")
    )
    documents = [
        Document(
            text="Interest rates were raised by the central bank.", metadata={"author": "ann"}
        ),
        Document(text="The cat sat on the warm windowsill and purred.", metadata={"author": "bob"}),
    ]
    step(steps, "insert_documents", lambda: index.insert_documents(documents))
    step(
        steps,
        "retriever",
        lambda: [
            n.node.get_content()
            for n in index.as_retriever(similarity_top_k=1).retrieve("who raised rates")
        ],
    )
    bob = MetadataFilters(filters=[ExactMatchFilter(key="author", value="bob")])
    step(
        steps,
        "retriever bare-key filter",
        lambda: [
            n.node.get_content()
            for n in index.as_retriever(similarity_top_k=2, filters=bob).retrieve("animal")
        ],
    )
    step(
        steps,
        "query_engine (AQA)",
        lambda: str(index.as_query_engine().query("Who raised interest rates?")),
    )
    step(
        steps,
        "GoogleTextSynthesizer",
        lambda: GoogleTextSynthesizer.from_defaults().get_response(
            "Where did the cat sit?", ["The cat sat on the warm windowsill."]
        ),
    )
    step(
        steps,
        "GoogleVectorStore.from_corpus",
        lambda: GoogleVectorStore.from_corpus(corpus_id=index.corpus_id).class_name(),
    )
    for line in steps:
        print(*line, sep=" | ")


if __name__ == "__main__":
    main(sys.argv[1])
