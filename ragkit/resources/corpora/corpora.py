"""``client.corpora``: create, read, rename, delete and search corpora.

REST: ``v1beta/corpora`` and ``v1beta/corpora/{corpus}`` (``:query``). A corpus may be
named by its full name (``"corpora/my-corpus"``) or its bare ID (``"my-corpus"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from ragkit import limits
from ragkit._base_client import APIRequest, parse_model
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_display_name, check_page_size, check_results_count
from ragkit.names import corpus_name
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    api_path,
    delete_request,
    get_request,
    list_request,
    metadata_filters,
    update_mask,
    wire,
)
from ragkit.resources.corpora.documents import AsyncDocuments, Documents
from ragkit.resources.corpora.permissions import AsyncPermissions, Permissions
from ragkit.types import (
    Corpus,
    ListCorporaResponse,
    MetadataFilter,
    QueryCorpusRequest,
    QueryCorpusResponse,
)

__all__ = ["AsyncCorpora", "Corpora"]

FilterInput = Sequence[MetadataFilter | Mapping[str, Any]]


def _create(name: str | None, display_name: str | None) -> APIRequest[Corpus]:
    check_display_name(display_name)
    body = Corpus(name=corpus_name(name) if name else None, display_name=display_name)
    return APIRequest(
        method="POST", path=api_path("corpora"), parse=parse_model(Corpus), json=wire(body)
    )


def _list(page_size: int | None) -> APIRequest[ListCorporaResponse]:
    check_page_size(page_size, limits.MAX_CORPORA_PAGE_SIZE, limit_name="MAX_CORPORA_PAGE_SIZE")
    return list_request("corpora", ListCorporaResponse, page_size=page_size)


def _update(name: str, display_name: str) -> APIRequest[Corpus]:
    check_display_name(display_name)
    name = corpus_name(name)
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(Corpus),
        params={"updateMask": update_mask("display_name")},
        json=wire(Corpus(name=name, display_name=display_name)),
    )


def _query(
    name: str, query: str, filters: FilterInput | None, results_count: int | None
) -> APIRequest[QueryCorpusResponse]:
    check_results_count(results_count)
    body = QueryCorpusRequest(
        query=query, metadata_filters=metadata_filters(filters), results_count=results_count
    )
    return APIRequest(
        method="POST",
        path=api_path(corpus_name(name), "query"),
        parse=parse_model(QueryCorpusResponse),
        json=wire(body),
    )


class Corpora(SyncAPIResource):
    """Corpora: the top-level containers of documents (``corpora/{corpus}``)."""

    @cached_property
    def documents(self) -> Documents:
        """Documents inside a corpus (and their chunks)."""
        return Documents(self._client)

    @cached_property
    def permissions(self) -> Permissions:
        """Who may read or edit a corpus."""
        return Permissions(self._client, "corpora")

    def create(self, *, name: str | None = None, display_name: str | None = None) -> Corpus:
        """Create a corpus; without ``name`` the server derives an ID from ``display_name``.

        >>> client.corpora.create(name="docs", display_name="Product docs")  # doctest: +SKIP
        """
        return self._client._request(_create(name, display_name))

    def get(self, name: str) -> Corpus:
        """Fetch ``corpora/{corpus}`` (``NotFoundError`` if it does not exist)."""
        return self._client._request(get_request(corpus_name(name), Corpus))

    def list(self, *, page_size: int | None = None) -> SyncPager[ListCorporaResponse, Corpus]:
        """Every corpus the caller can see, oldest first (``page_size`` <= 20)."""
        return self._client._pager(_list(page_size), lambda page: page.corpora)

    def update(self, name: str, *, display_name: str) -> Corpus:
        """Rename a corpus (the display name is the only mutable field)."""
        return self._client._request(_update(name, display_name))

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a corpus; ``force=True`` also deletes its documents and chunks.

        Raises:
            FailedPreconditionError: the corpus is not empty and ``force`` is false.
        """
        return self._client._request(delete_request(corpus_name(name), force=force or None))

    def query(
        self,
        name: str,
        query: str,
        *,
        metadata_filters: FilterInput | None = None,
        results_count: int | None = None,
    ) -> QueryCorpusResponse:
        """Semantic search over the corpus's chunks (``results_count`` 1..100, default 10).

        Filters may use ``document.custom_metadata.<key>`` and ``chunk.custom_metadata.<key>``.
        """
        return self._client._request(_query(name, query, metadata_filters, results_count))


class AsyncCorpora(AsyncAPIResource):
    """Corpora: the top-level containers of documents (``corpora/{corpus}``)."""

    @cached_property
    def documents(self) -> AsyncDocuments:
        """Documents inside a corpus (and their chunks)."""
        return AsyncDocuments(self._client)

    @cached_property
    def permissions(self) -> AsyncPermissions:
        """Who may read or edit a corpus."""
        return AsyncPermissions(self._client, "corpora")

    async def create(self, *, name: str | None = None, display_name: str | None = None) -> Corpus:
        """Create a corpus; without ``name`` the server derives an ID from ``display_name``."""
        return await self._client._request(_create(name, display_name))

    async def get(self, name: str) -> Corpus:
        """Fetch ``corpora/{corpus}`` (``NotFoundError`` if it does not exist)."""
        return await self._client._request(get_request(corpus_name(name), Corpus))

    def list(self, *, page_size: int | None = None) -> AsyncPager[ListCorporaResponse, Corpus]:
        """Every corpus the caller can see, oldest first (``page_size`` <= 20)."""
        return self._client._pager(_list(page_size), lambda page: page.corpora)

    async def update(self, name: str, *, display_name: str) -> Corpus:
        """Rename a corpus (the display name is the only mutable field)."""
        return await self._client._request(_update(name, display_name))

    async def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a corpus; ``force=True`` also deletes its documents and chunks."""
        return await self._client._request(delete_request(corpus_name(name), force=force or None))

    async def query(
        self,
        name: str,
        query: str,
        *,
        metadata_filters: FilterInput | None = None,
        results_count: int | None = None,
    ) -> QueryCorpusResponse:
        """Semantic search over the corpus's chunks (``results_count`` 1..100, default 10)."""
        return await self._client._request(_query(name, query, metadata_filters, results_count))
