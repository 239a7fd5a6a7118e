"""Pagers: list methods return one, and it follows ``nextPageToken`` as you iterate.

    for corpus in client.corpora.list():            # every item, page after page
        ...
    for page in client.corpora.list(page_size=20).pages():   # the List*Response objects
        ...

Nothing is fetched until iteration starts, and every iteration starts from the first page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from ragkit._base_client import APIRequest

__all__ = ["AsyncPager", "SyncPager"]

P = TypeVar("P")
T = TypeVar("T")


def _next_token(page: Any) -> str | None:
    token = getattr(page, "next_page_token", None)
    return str(token) if token else None


class _PagerBase(Generic[P, T]):
    def __init__(self, request: APIRequest[P], items: Callable[[P], Sequence[T] | None]) -> None:
        self.request = request
        self._items = items

    def _page_request(self, token: str | None) -> APIRequest[P]:
        return self.request.with_params(pageToken=token) if token else self.request

    def _page_items(self, page: P) -> Sequence[T]:
        return self._items(page) or ()


class SyncPager(_PagerBase[P, T]):
    """Iterate items with ``for``; iterate whole pages with :meth:`pages`."""

    def __init__(
        self,
        fetch: Callable[[APIRequest[P]], P],
        request: APIRequest[P],
        items: Callable[[P], Sequence[T] | None],
    ) -> None:
        super().__init__(request, items)
        self._fetch = fetch

    def pages(self) -> Iterator[P]:
        """Yield each List*Response, requesting the next one only when needed."""
        token: str | None = None
        while True:
            page = self._fetch(self._page_request(token))
            yield page
            token = _next_token(page)
            if token is None:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from self._page_items(page)


class AsyncPager(_PagerBase[P, T]):
    """Iterate items with ``async for``; iterate whole pages with :meth:`iter_pages`."""

    def __init__(
        self,
        fetch: Callable[[APIRequest[P]], Awaitable[P]],
        request: APIRequest[P],
        items: Callable[[P], Sequence[T] | None],
    ) -> None:
        super().__init__(request, items)
        self._fetch = fetch

    async def iter_pages(self) -> AsyncIterator[P]:
        """Yield each List*Response, requesting the next one only when needed."""
        token: str | None = None
        while True:
            page = await self._fetch(self._page_request(token))
            yield page
            token = _next_token(page)
            if token is None:
                return

    def pages(self) -> AsyncIterator[P]:
        """Alias of :meth:`iter_pages`, matching :meth:`SyncPager.pages`."""
        return self.iter_pages()

    async def _items_iter(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in self._page_items(page):
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items_iter()
