"""google-generativeai's retriever, answer and permission modules, with no transport
argument: gRPC over TLS for the sync calls, grpc_asyncio for the ``*_async`` ones.

google-generativeai 0.8.6 (the last) pins google-ai-generativelanguage 0.6.15, while the
[dev] environment holds the current GAPIC (other tests check enums and wire shapes against
it), so these tests skip there. Run them in an environment of their own::

    python3 -m venv /tmp/venv-gai
    /tmp/venv-gai/bin/pip install -e '.[dev]' google-generativeai==0.8.6
    /tmp/venv-gai/bin/python -m pytest tests/server/grpc
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from .conftest import ALICE_KEY, GrpcServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    genai = pytest.importorskip("google.generativeai")
    from google.api_core import exceptions
    from google.generativeai import answer, permission, retriever

pytestmark = pytest.mark.slow

TEXTS = [
    "Photosynthesis turns sunlight into chemical energy in plants.",
    "Interest rates were raised by the central bank.",
]


@pytest.fixture
def configured(grpc_server: GrpcServer) -> Iterator[None]:
    genai.configure(api_key=ALICE_KEY, client_options={"api_endpoint": grpc_server.target})
    yield
    genai.configure(api_key=None, client_options=None)


def test_retriever_answer_and_permissions(configured: None) -> None:
    corpus = retriever.create_corpus(display_name="generativeai")
    document = corpus.create_document(display_name="Science and money")
    document.batch_create_chunks([{"data": t} for t in TEXTS])
    chunk = document.create_chunk("The moon orbits the earth.")
    # The only path it sends: update_mask data.string_value.
    chunk.update({"data": {"string_value": "The moon orbits the earth every 27 days."}})
    assert document.get_chunk(chunk.name).data.string_value.endswith("27 days.")
    hits = corpus.query("who raised interest rates?", results_count=1)
    assert hits[0].chunk.data.string_value == TEXTS[1]

    reply = answer.generate_answer(  # no answer_style: ABSTRACTIVE
        contents="How do plants get energy?",
        semantic_retriever={"source": corpus.name, "query": "plants sunlight energy"},
    )
    assert "sunlight" in reply.answer.content.parts[0].text

    granted = corpus.permissions.create(
        role="READER", grantee_type="USER", email_address="bob@example.com"
    )
    assert granted.email_address == "bob@example.com"
    assert any(p.name == granted.name for p in corpus.permissions.list())
    assert permission.get_permission(granted.name).role == granted.role
    granted.delete()
    retriever.delete_corpus(corpus.name, force=True)
    with pytest.raises(exceptions.PermissionDenied):
        retriever.get_corpus(corpus.name)


async def test_async_methods_use_grpc_asyncio(configured: None) -> None:
    corpus = await retriever.create_corpus_async(display_name="generativeai async")
    document = await corpus.create_document_async(display_name="d")
    await document.create_chunk_async(TEXTS[0])
    hits = await document.query_async("plants", results_count=1)
    assert hits[0].chunk.data.string_value == TEXTS[0]
    names = [c.name async for c in retriever.list_corpora_async()]
    assert corpus.name in names
    await retriever.delete_corpus_async(corpus.name, force=True)
