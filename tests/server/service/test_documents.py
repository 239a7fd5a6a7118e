"""Documents: names, metadata limits, masks, quotas, listing, force delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ragkit.server.service import Quotas, RetrieverService
from ragkit.types import Code, Corpus, CustomMetadata, Document, StringList

from .conftest import OWNER, batch, chunk, meta, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

PARENT = "corpora/c"


def _service(open_service: Callable[..., RetrieverService], **quotas: int) -> RetrieverService:
    service = open_service(Quotas(**quotas)) if quotas else open_service()
    service.create_corpus(OWNER, Corpus(name="c"))
    return service


def test_create_get_with_metadata(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    created = service.create_document(
        OWNER, PARENT, Document(display_name="Doc One", custom_metadata=meta(year=2020, tags=["a"]))
    )
    assert created.name is not None and created.name.startswith("corpora/c/documents/doc-one-")
    assert service.get_document(OWNER, created.name) == created
    raises(Code.NOT_FOUND, lambda: service.get_document(OWNER, "corpora/c/documents/none"))
    raises(Code.PERMISSION_DENIED, lambda: service.get_document(OWNER, "corpora/x/documents/d"))
    raises(Code.INVALID_ARGUMENT, lambda: service.get_document(OWNER, "corpora/c/chunks/d"))


def test_explicit_names(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    assert (
        service.create_document(OWNER, PARENT, Document(name="d")).name == "corpora/c/documents/d"
    )
    raises(Code.ALREADY_EXISTS, lambda: service.create_document(OWNER, PARENT, Document(name="d")))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(name="corpora/other/documents/e")),
    )
    raises(
        Code.INVALID_ARGUMENT, lambda: service.create_document(OWNER, PARENT, Document(name="D"))
    )


def test_metadata_limits(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    twenty = meta(**{f"k{i}": i for i in range(20)})
    service.create_document(OWNER, PARENT, Document(custom_metadata=twenty))
    too_many = meta(**{f"k{i}": i for i in range(21)})
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(custom_metadata=too_many)),
        "20",
    )
    service.create_document(OWNER, PARENT, Document(custom_metadata=meta(tags=list("abcdefghij"))))
    eleven = meta(tags=list("abcdefghijk"))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(custom_metadata=eleven)),
        "10",
    )
    no_key = [CustomMetadata(key="", string_value="x")]
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(custom_metadata=no_key)),
        "key",
    )
    no_value = [CustomMetadata(key="k")]
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(custom_metadata=no_value)),
        "exactly one",
    )
    two_values = [CustomMetadata.model_construct(key="k", string_value="x", numeric_value=1.0)]
    both = Document.model_construct(custom_metadata=two_values)
    raises(Code.INVALID_ARGUMENT, lambda: service.create_document(OWNER, PARENT, both))
    empty_list = [CustomMetadata(key="k", string_list_value=StringList(values=[]))]
    service.create_document(OWNER, PARENT, Document(custom_metadata=empty_list))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: service.create_document(OWNER, PARENT, Document(display_name="x" * 513)),
    )


def test_update_masks(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    name = service.create_document(
        OWNER, PARENT, Document(name="d", display_name="a", custom_metadata=meta(year=1))
    ).name
    assert name is not None
    patch = Document(display_name="b", custom_metadata=meta(year=2))
    only_name = service.update_document(OWNER, name, patch, "displayName")
    assert only_name.display_name == "b" and only_name.custom_metadata == meta(year=1)
    both = service.update_document(OWNER, name, patch, "display_name,custom_metadata")
    assert both.custom_metadata == meta(year=2)
    cleared = service.update_document(OWNER, name, Document(), "customMetadata")
    assert cleared.custom_metadata is None and cleared.display_name == "b"
    for bad in (None, "", "name", "displayName,createTime"):
        raises(
            Code.INVALID_ARGUMENT, lambda bad=bad: service.update_document(OWNER, name, patch, bad)
        )
    assert cleared.update_time is not None and both.update_time is not None
    assert cleared.update_time > both.update_time


def test_document_quota(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service, max_documents_per_corpus=2)
    service.create_document(OWNER, PARENT, Document())
    service.create_document(OWNER, PARENT, Document())
    raises(
        Code.RESOURCE_EXHAUSTED,
        lambda: service.create_document(OWNER, PARENT, Document()),
        "max_documents_per_corpus",
    )


def test_list_pages_and_clamps(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    names = [service.create_document(OWNER, PARENT, Document()).name for _ in range(23)]
    page = service.list_documents(OWNER, PARENT, page_size=1000, page_token=None)
    assert [d.name for d in page.documents or []] == names[:20]
    rest = service.list_documents(OWNER, PARENT, page_size=1000, page_token=page.next_page_token)
    assert [d.name for d in rest.documents or []] == names[20:]
    assert rest.next_page_token is None
    default = service.list_documents(OWNER, PARENT, page_size=0, page_token=None)
    assert len(default.documents or []) == 10


def test_delete_needs_force_with_chunks(open_service: Callable[..., RetrieverService]) -> None:
    service = _service(open_service)
    service.create_document(OWNER, PARENT, Document(name="empty"))
    service.delete_document(OWNER, "corpora/c/documents/empty", force=False)
    service.create_document(OWNER, PARENT, Document(name="d"))
    service.batch_create_chunks(OWNER, "corpora/c/documents/d", batch(chunk("hello world")))
    raises(
        Code.FAILED_PRECONDITION,
        lambda: service.delete_document(OWNER, "corpora/c/documents/d", force=False),
    )
    service.delete_document(OWNER, "corpora/c/documents/d", force=True)
    raises(Code.NOT_FOUND, lambda: service.get_document(OWNER, "corpora/c/documents/d"))
    raises(
        Code.NOT_FOUND, lambda: service.delete_document(OWNER, "corpora/c/documents/d", force=True)
    )
