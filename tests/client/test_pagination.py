"""Pagers follow nextPageToken, item-wise and page-wise, lazily."""

from __future__ import annotations

from typing import Any

import httpx

import ragkit
from ragkit import types as t
from tests.client.conftest import FakeAPI


def three_pages(request: httpx.Request) -> httpx.Response:
    token = request.url.params.get("pageToken")
    pages = {
        None: {"corpora": [{"name": "corpora/a"}, {"name": "corpora/b"}], "nextPageToken": "p2"},
        "p2": {"corpora": [], "nextPageToken": "p3"},
        "p3": {"corpora": [{"name": "corpora/c"}]},
    }
    return httpx.Response(200, json=pages[token])


async def test_items_across_pages(client: Any, api: FakeAPI) -> None:
    api.handler = three_pages
    pager = client.corpora.list(page_size=2)
    assert api.requests == []  # lazy
    if isinstance(pager, ragkit.AsyncPager):
        names = [corpus.name async for corpus in pager]
    else:
        names = [corpus.name for corpus in pager]
    assert names == ["corpora/a", "corpora/b", "corpora/c"]
    assert [dict(r.url.params) for r in api.requests] == [
        {"pageSize": "2"},
        {"pageSize": "2", "pageToken": "p2"},
        {"pageSize": "2", "pageToken": "p3"},
    ]


async def test_pages(client: Any, api: FakeAPI) -> None:
    api.handler = three_pages
    pager = client.corpora.list()
    if isinstance(pager, ragkit.AsyncPager):
        pages = [page async for page in pager.iter_pages()]
        again = [page async for page in pager.pages()]
    else:
        pages = list(pager.pages())
        again = list(pager.pages())
    assert all(isinstance(page, t.ListCorporaResponse) for page in pages)
    assert [page.next_page_token for page in pages] == ["p2", "p3", None]
    assert again == pages  # every iteration starts over
    assert "pageSize" not in api.requests[0].url.params


async def test_stopping_early_fetches_no_more(client: Any, api: FakeAPI) -> None:
    api.handler = three_pages
    pager = client.corpora.list()
    if isinstance(pager, ragkit.AsyncPager):
        async for _ in pager:
            break
    else:
        next(iter(pager))
    assert len(api.requests) == 1


async def test_empty_list(client: Any, api: FakeAPI) -> None:
    pager = client.files.list()
    items = [f async for f in pager] if isinstance(pager, ragkit.AsyncPager) else list(pager)
    assert items == [] and len(api.requests) == 1
