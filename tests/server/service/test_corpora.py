"""Corpora: names, display names, quotas, update masks, listing, force delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ragkit.server.service import Quotas, RetrieverService
from ragkit.types import Code, Corpus, Document

from .conftest import OWNER, STRANGER, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends


def test_create_generates_a_name_from_the_display_name(service: RetrieverService) -> None:
    corpus = service.create_corpus(OWNER, Corpus(display_name="My Awesome Corpus"))
    assert corpus.name is not None
    assert corpus.name.startswith("corpora/my-awesome-corpus-")
    assert len(corpus.name.removeprefix("corpora/")) == len("my-awesome-corpus-") + 12
    assert corpus.create_time == corpus.update_time
    assert corpus.create_time is not None and corpus.create_time.tzinfo is not None


def test_create_without_display_name_gets_a_random_id(service: RetrieverService) -> None:
    corpus = service.create_corpus(OWNER, Corpus())
    assert corpus.name is not None and len(corpus.name) == len("corpora/") + 12
    assert corpus.display_name is None


def test_explicit_names_are_validated_and_unique(service: RetrieverService) -> None:
    assert service.create_corpus(OWNER, Corpus(name="corpora/c1")).name == "corpora/c1"
    assert service.create_corpus(OWNER, Corpus(name="c2")).name == "corpora/c2"
    raises(Code.ALREADY_EXISTS, lambda: service.create_corpus(OWNER, Corpus(name="corpora/c1")))
    for bad in ("corpora/Bad", "corpora/-x", "corpora/" + "a" * 41, "corpora/a/b"):
        raises(
            Code.INVALID_ARGUMENT, lambda bad=bad: service.create_corpus(OWNER, Corpus(name=bad))
        )


def test_display_name_limit(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="ok", display_name="x" * 512))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_corpus(OWNER, Corpus(display_name="x" * 513)),
        "512",
    )


def test_corpus_quota(open_service: Callable[..., RetrieverService]) -> None:
    service = open_service(Quotas(max_corpora=2))
    service.create_corpus(OWNER, Corpus(name="a"))
    service.create_corpus(OWNER, Corpus(name="b"))
    raises(Code.RESOURCE_EXHAUSTED, lambda: service.create_corpus(OWNER, Corpus()), "max_corpora")
    service.delete_corpus(OWNER, "corpora/a", force=False)
    service.create_corpus(OWNER, Corpus(name="c"))


def test_unlimited_quota(open_service: Callable[..., RetrieverService]) -> None:
    service = open_service(Quotas(max_corpora=None))
    for i in range(7):
        service.create_corpus(OWNER, Corpus(name=f"c{i}"))


def test_get_and_missing(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c", display_name="C"))
    assert service.get_corpus(OWNER, "corpora/c").display_name == "C"
    raises(
        Code.PERMISSION_DENIED, lambda: service.get_corpus(OWNER, "corpora/nope"), "may not exist"
    )
    raises(Code.INVALID_ARGUMENT, lambda: service.get_corpus(OWNER, "corpora/NOPE"))


def test_update_needs_a_valid_mask_and_bumps_update_time(service: RetrieverService) -> None:
    created = service.create_corpus(OWNER, Corpus(name="c", display_name="old"))
    for mask in ("displayName", "display_name"):
        updated = service.update_corpus(OWNER, "corpora/c", Corpus(display_name=mask), mask)
        assert updated.display_name == mask
        assert updated.create_time == created.create_time
        assert updated.update_time is not None and created.update_time is not None
        assert updated.update_time > created.update_time
    new = Corpus(display_name="x")
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.update_corpus(OWNER, "corpora/c", new, None),
        "required",
    )
    raises(Code.INVALID_ARGUMENT, lambda: service.update_corpus(OWNER, "corpora/c", new, ""))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.update_corpus(OWNER, "corpora/c", new, "name"),
        "displayName",
    )
    long = Corpus(display_name="x" * 513)
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.update_corpus(OWNER, "corpora/c", long, "displayName"),
    )
    assert service.get_corpus(OWNER, "corpora/c").display_name == "display_name"


def test_list_orders_by_create_time_and_pages(service: RetrieverService) -> None:
    service = service
    names = []
    for i in range(5):
        names.append(service.create_corpus(OWNER, Corpus(name=f"c{4 - i}")).name)
    first = service.list_corpora(OWNER, page_size=2, page_token=None)
    assert [c.name for c in first.corpora or []] == names[:2]
    assert first.next_page_token
    second = service.list_corpora(OWNER, page_size=2, page_token=first.next_page_token)
    third = service.list_corpora(OWNER, page_size=2, page_token=second.next_page_token)
    assert [c.name for c in (second.corpora or []) + (third.corpora or [])] == names[2:]
    assert third.next_page_token is None
    everything = service.list_corpora(OWNER, page_size=None, page_token=None)
    assert [c.name for c in everything.corpora or []] == names
    assert everything.next_page_token is None
    raises(
        Code.INVALID_ARGUMENT, lambda: service.list_corpora(OWNER, page_size=-1, page_token=None)
    )
    assert service.list_corpora(STRANGER, page_size=None, page_token=None).corpora is None or not (
        service.list_corpora(STRANGER, page_size=None, page_token=None).corpora
    )


def test_delete_needs_force_when_not_empty(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, "corpora/c", Document(name="corpora/c/documents/d"))
    raises(
        Code.FAILED_PRECONDITION,
        lambda: service.delete_corpus(OWNER, "corpora/c", force=False),
        "force",
    )
    service.get_document(OWNER, "corpora/c/documents/d")
    service.delete_corpus(OWNER, "corpora/c", force=True)
    raises(Code.PERMISSION_DENIED, lambda: service.get_corpus(OWNER, "corpora/c"))
    # The name is free again, and nothing of the old corpus survives.
    service.create_corpus(OWNER, Corpus(name="c"))
    listed = service.list_documents(OWNER, "corpora/c", page_size=None, page_token=None)
    assert not listed.documents
    permissions = service.list_permissions(OWNER, "corpora/c", page_size=None, page_token=None)
    assert len(permissions.permissions or []) == 1
