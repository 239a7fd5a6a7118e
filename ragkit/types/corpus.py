"""Corpora: the top-level containers of Semantic Retrieval."""

from __future__ import annotations

from ragkit.types._base import Timestamp, WireModel

__all__ = ["Corpus", "ListCorporaResponse"]


class Corpus(WireModel):
    """A `Corpus` is a collection of `Document`s."""

    name: str | None = None
    display_name: str | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None


class ListCorporaResponse(WireModel):
    """Response from `ListCorpora` containing a paginated list of `Corpora`."""

    corpora: list[Corpus] | None = None
    next_page_token: str | None = None
