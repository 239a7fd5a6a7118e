"""Page tokens: opaque, signed, bound to their request, stable across restarts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ragkit.server.service import RetrieverService
from ragkit.types import Code, Corpus, Document

from .conftest import OWNER, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends


def _two_corpora(service: RetrieverService, documents: int = 5) -> None:
    for corpus in ("c", "d"):
        service.create_corpus(OWNER, Corpus(name=corpus))
        for i in range(documents):
            service.create_document(OWNER, f"corpora/{corpus}", Document(name=f"doc{i}"))


def test_token_is_bound_to_parent_and_page_size(service: RetrieverService) -> None:
    _two_corpora(service)
    token = service.list_documents(OWNER, "corpora/c", page_size=2, page_token=None).next_page_token
    assert token
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.list_documents(OWNER, "corpora/d", page_size=2, page_token=token),
        "does not match",
    )
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.list_documents(OWNER, "corpora/c", page_size=3, page_token=token),
        "does not match",
    )
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.list_corpora(OWNER, page_size=2, page_token=token),
        "does not match",
    )
    page = service.list_documents(OWNER, "corpora/c", page_size=2, page_token=token)
    assert [d.name for d in page.documents or []] == [
        "corpora/c/documents/doc2",
        "corpora/c/documents/doc3",
    ]


def test_forged_and_garbage_tokens(service: RetrieverService) -> None:
    _two_corpora(service)
    token = service.list_documents(OWNER, "corpora/c", page_size=2, page_token=None).next_page_token
    assert token
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "not-a-token", "!!!", token[:10]):
        raises(
            Code.INVALID_ARGUMENT,
            lambda bad=bad: service.list_documents(OWNER, "corpora/c", page_size=2, page_token=bad),
            "page token",
        )


def test_keyset_paging_survives_writes_and_restarts(
    open_service: Callable[..., RetrieverService],
) -> None:
    service = open_service()
    _two_corpora(service, documents=4)
    first = service.list_documents(OWNER, "corpora/c", page_size=2, page_token=None)
    service.delete_document(OWNER, "corpora/c/documents/doc1", force=False)  # last of the page
    service.create_document(OWNER, "corpora/c", Document(name="late"))
    service.close()
    reopened = open_service()
    rest = reopened.list_documents(
        OWNER, "corpora/c", page_size=2, page_token=first.next_page_token
    )
    assert [d.name for d in rest.documents or []] == [
        "corpora/c/documents/doc2",
        "corpora/c/documents/doc3",
    ]
    last = reopened.list_documents(OWNER, "corpora/c", page_size=2, page_token=rest.next_page_token)
    assert [d.name for d in last.documents or []] == ["corpora/c/documents/late"]
    assert last.next_page_token is None
