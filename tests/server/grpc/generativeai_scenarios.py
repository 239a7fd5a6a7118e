"""google-generativeai's retriever, answer and permission modules against a ragkit serve,
with no transport argument: gRPC over TLS for the sync calls, grpc_asyncio for ``*_async``.

Not a test module: ``test_generativeai.py`` runs it with the Python of a venv that holds
google-generativeai 0.8.6 (which pins google-ai-generativelanguage 0.6.15, older than the
[dev] environment's). It prints one JSON object of what it observed; the test asserts it.

Environment: ``RAGKIT_GRPC_TARGET`` (``127.0.0.1:PORT``), ``RAGKIT_API_KEY`` and
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` (the server's CA), as a user would set them.
"""

from __future__ import annotations

import asyncio
import json
import os
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import google.generativeai as genai
    from google.api_core import exceptions
    from google.generativeai import answer, client, permission, retriever

TEXTS = [
    "Photosynthesis turns sunlight into chemical energy in plants.",
    "Interest rates were raised by the central bank.",
]


def sync_scenario() -> dict[str, Any]:
    seen: dict[str, Any] = {"transport": client.get_default_retriever_client().transport.kind}
    corpus = retriever.create_corpus(display_name="generativeai")
    document = corpus.create_document(display_name="Science and money")
    document.batch_create_chunks([{"data": t} for t in TEXTS])
    chunk = document.create_chunk("The moon orbits the earth.")
    # The only path it sends: update_mask data.string_value.
    chunk.update({"data": {"string_value": "The moon orbits the earth every 27 days."}})
    seen["updated_chunk"] = document.get_chunk(chunk.name).data.string_value
    hits = corpus.query("who raised interest rates?", results_count=1)
    seen["top_hit"] = hits[0].chunk.data.string_value
    reply = answer.generate_answer(  # no answer_style: ABSTRACTIVE
        contents="How do plants get energy?",
        semantic_retriever={"source": corpus.name, "query": "plants sunlight energy"},
    )
    seen["answer"] = reply.answer.content.parts[0].text
    granted = corpus.permissions.create(
        role="READER", grantee_type="USER", email_address="bob@example.com"
    )
    seen["granted_email"] = granted.email_address
    seen["granted_listed"] = any(p.name == granted.name for p in corpus.permissions.list())
    seen["permission_role_matches"] = permission.get_permission(granted.name).role == granted.role
    granted.delete()
    retriever.delete_corpus(corpus.name, force=True)
    try:
        retriever.get_corpus(corpus.name)
        seen["after_delete"] = "found"
    except exceptions.GoogleAPICallError as error:
        seen["after_delete"] = type(error).__name__
    return seen


async def async_scenario() -> dict[str, Any]:
    kind = client.get_default_retriever_async_client().transport.kind
    seen: dict[str, Any] = {"transport": kind}
    corpus = await retriever.create_corpus_async(display_name="generativeai async")
    document = await corpus.create_document_async(display_name="d")
    await document.create_chunk_async(TEXTS[0])
    hits = await document.query_async("plants", results_count=1)
    seen["top_hit"] = hits[0].chunk.data.string_value
    seen["listed"] = corpus.name in [c.name async for c in retriever.list_corpora_async()]
    await retriever.delete_corpus_async(corpus.name, force=True)
    return seen


def main() -> None:
    genai.configure(
        api_key=os.environ["RAGKIT_API_KEY"],
        client_options={"api_endpoint": os.environ["RAGKIT_GRPC_TARGET"]},
    )
    observed = {
        "version": genai.__version__,
        "sync": sync_scenario(),
        "async": asyncio.run(async_scenario()),
    }
    print(json.dumps(observed))


if __name__ == "__main__":
    main()
